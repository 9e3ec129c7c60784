"""Questionnaires: members' pages (kinwell.tracking.views.questionnaires)
and organisers' (kinwell.tracking.views.questionnaire_admin)."""

from django.urls import URLPattern, path

from kinwell.tracking.views import questionnaire_admin as admin
from kinwell.tracking.views import questionnaires as member

LIST = "c/<slug:slug>/questionnaires/"
ONE = f"{LIST}<int:questionnaire_id>/"
QUESTION = f"{ONE}questions/<int:question_id>/"

urlpatterns: list[URLPattern] = [
    path(LIST, member.questionnaire_list, name="questionnaires"),
    path(f"{LIST}new/", admin.new_questionnaire, name="new_questionnaire"),
    path(ONE, member.questionnaire_page, name="questionnaire"),
    path(f"{ONE}enrol/", member.enrol, name="enrol_questionnaire"),
    path(f"{ONE}leave/", member.leave, name="leave_questionnaire"),
    path(f"{ONE}answer/", member.answer, name="answer_questionnaire"),
    path(f"{ONE}edit/", admin.edit_questionnaire, name="edit_questionnaire"),
    path(f"{ONE}delete/", admin.delete_questionnaire, name="delete_questionnaire"),
    path(f"{ONE}open/", admin.open_questionnaire, name="open_questionnaire"),
    path(f"{ONE}close/", admin.close_questionnaire, name="close_questionnaire"),
    path(f"{ONE}results/", admin.results, name="questionnaire_results"),
    path(f"{ONE}questions/", admin.questions, name="questions"),
    path(QUESTION, admin.edit_question, name="edit_question"),
    path(f"{QUESTION}move/", admin.move_question, name="move_question"),
    path(f"{QUESTION}remove/", admin.remove_question, name="remove_question"),
    path(
        "tracking/questionnaires/",
        member.my_questionnaires,
        name="my_questionnaires",
    ),
    path(
        "tracking/questionnaires/responses/<int:response_id>/",
        member.my_response,
        name="my_response",
    ),
    path(
        "tracking/questionnaires/responses/<int:response_id>/delete/",
        member.delete_response,
        name="delete_response",
    ),
]
