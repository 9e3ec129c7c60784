from django.urls import path

from kinwell.accounts import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("me/accessibility/", views.accessibility, name="accessibility"),
    path("me/personas/", views.personas, name="personas"),
    path("me/credentials/", views.credentials, name="credentials"),
    path("me/carers/", views.delegations, name="delegations"),
    path(
        "me/carers/<int:delegation_id>/accept",
        views.accept_delegation,
        name="accept_delegation",
    ),
    path(
        "me/carers/<int:delegation_id>/decline",
        views.decline_delegation,
        name="decline_delegation",
    ),
    path(
        "me/carers/<int:delegation_id>/revoke",
        views.revoke_delegation,
        name="revoke_delegation",
    ),
    path("me/carers/<int:delegation_id>/act", views.start_acting, name="start_acting"),
    path("me/acting/stop", views.stop_acting, name="stop_acting"),
    path("me/consents/", views.consents, name="consents"),
    path("me/consents/<str:purpose>/", views.set_consent, name="set_consent"),
    path("me/data-access/", views.data_access, name="data_access"),
    path("me/tokens/", views.api_tokens, name="api_tokens"),
    path(
        "me/tokens/<int:token_id>/revoke",
        views.revoke_api_token,
        name="revoke_api_token",
    ),
    path("people/<str:public_id>/", views.persona, name="persona"),
    path("verify/", views.verification_queue, name="verification_queue"),
    path(
        "verify/<int:credential_id>/",
        views.review_credential,
        name="review_credential",
    ),
]
