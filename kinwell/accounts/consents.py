"""The texts members agree to. A new wording gets a new version; the ledger
records which version each decision was made against.

Standing consents (CONSENT_TEXTS) are switched on and off on "My consents".
One-off decisions (DECISION_TEXTS) are made where they arise, such as on a
fork proposal, and carry a reference to what they are about."""

from dataclasses import dataclass

from kinwell.accounts.models import ConsentRecord

Purpose = ConsentRecord.Purpose


@dataclass(frozen=True)
class ConsentText:
    purpose: str
    version: str
    title: str
    text: str


CONSENT_TEXTS: dict[str, ConsentText] = {
    Purpose.COMMUNITY_INSIGHTS: ConsentText(
        Purpose.COMMUNITY_INSIGHTS,
        "2026-11",
        "Community insights",
        "Count my symptom and treatment records in my communities' anonymous "
        "summaries. Small numbers are never shown, and I can withdraw at any time.",
    ),
    Purpose.RESEARCH: ConsentText(
        Purpose.RESEARCH,
        "2026-11",
        "Research datasets",
        "Include my de-identified records in datasets that my community's "
        "organisers approve for researchers. Every release is shown to me.",
    ),
    Purpose.RESEARCH_NOTES: ConsentText(
        Purpose.RESEARCH_NOTES,
        "2026-11",
        "My notes in research datasets",
        "When I am included in a research dataset, include what I wrote in my "
        "own words: the notes with my check-ins and evaluations, and the dose "
        "and frequency of my treatments. Without this, only my ratings, "
        'choices and dates go in. This needs "Research datasets" too.',
    ),
    Purpose.PORTABILITY: ConsentText(
        Purpose.PORTABILITY,
        "2026-11.3",
        "Take my posts along",
        "When my community is exported or forked, my posts go with it under my "
        "pseudonym, and where it is imported I may be invited back by email. "
        "My tracking records (check-ins, conditions, treatments and answers to "
        "the community's questionnaires) go with an export too, kept for me "
        "alone until I join again and take them in. Without this, my posts are "
        "left out or shown as 'a former member', and nothing about me goes "
        "with it.",
    ),
    Purpose.EMAIL_DIGESTS: ConsentText(
        Purpose.EMAIL_DIGESTS,
        "2026-11",
        "Email digests",
        "Send me a daily email summarising what is new in the threads and "
        "communities I watch. It never contains health details.",
    ),
}


DECISION_TEXTS: dict[str, ConsentText] = {
    Purpose.FORK_POSTS: ConsentText(
        Purpose.FORK_POSTS,
        "2026-11",
        "Bring my past posts into a fork",
        "Copy my past posts in this community into the new community this fork "
        "creates, under my pseudonym. Without this, they appear there as "
        "'a former member'.",
    ),
}


def text_for(purpose: str) -> ConsentText | None:
    return CONSENT_TEXTS.get(purpose) or DECISION_TEXTS.get(purpose)
