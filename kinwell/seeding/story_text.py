"""Text pools for care stories: organisation and service names, job titles,
and what patients and carers write about a service, drawn from the seed.
Like the posts' bodies, each story body and reply is cooked once and
reused. Places are invented, so no name is a real organisation's."""

import random

from kinwell.lib.markdown import render_markdown
from kinwell.seeding.text import _distinct
from kinwell.stories.models import Story
from kinwell.stories.services import cook as cook_story

PLACE_STARTS = [
    "Ash", "Brook", "Clay", "Elm", "Fern", "Hazel", "Holly", "Kings", "Lark",
    "Mill", "Oak", "Rose", "Stone", "Thorn", "Wil", "Marsh", "Bright", "Castle",
]  # fmt: skip
PLACE_ENDS = ["ford", "bury", "field", "ton", "bridge", "wick", "combe", "dale"]
ORGANISATION_KINDS = [
    ("{place} Hospitals NHS Foundation Trust", 4),
    ("{place} Community Health Services", 2),
    ("{place} Hospice", 2),
    ("{place} Mental Health Partnership", 1),
    ("{place} Primary Care Network", 1),
]
SITES = [
    "{place} General Hospital", "{place} Community Hospital",
    "{place} Health Centre", "{place} Memorial Hospital", "{place} Day Hospital",
]  # fmt: skip
DEPARTMENTS = {
    "Emergency Department": [
        "Adult Emergency Care", "Children's Emergency Care", "Urgent Treatment Centre",
        "Emergency Assessment Unit",
    ],
    "Maternity": ["Antenatal Clinic", "Labour Ward", "Postnatal Ward", "Birth Centre"],
    "Outpatients": [
        "Cardiology Clinic", "Physiotherapy", "Dermatology Clinic", "Eye Clinic",
        "Fracture Clinic", "Diabetes Clinic", "Respiratory Clinic",
    ],
    "Surgery": ["Day Surgery Unit", "Orthopaedic Ward", "General Surgery Ward"],
    "Older People's Care": ["Frailty Unit", "Rehabilitation Ward", "Memory Clinic"],
    "Cancer Services": ["Chemotherapy Day Unit", "Radiotherapy", "Breast Clinic"],
    "Children's Services": ["Children's Ward", "Neonatal Unit", "Child Development"],
    "Mental Health": [
        "Crisis Team", "Community Mental Health Team", "Talking Therapies",
        "Inpatient Mental Health Ward",
    ],
    "Community Services": [
        "District Nursing", "Palliative Care at Home", "Community Physiotherapy",
        "Long COVID Clinic", "Podiatry",
    ],
    "Diagnostics": ["X-ray", "Blood Tests", "MRI and CT Scanning"],
}  # fmt: skip
JOB_TITLES = {
    "admin": [
        "Head of Patient Experience", "Director of Nursing", "Quality Lead",
        "Patient Experience Manager",
    ],
    "responder": [
        "Ward Manager", "Matron", "Clinical Lead", "Service Manager",
        "Consultant", "Team Leader", "Lead Nurse", "Head of Midwifery",
    ],
    "reader": [
        "Staff Nurse", "Healthcare Assistant", "Physiotherapist", "Receptionist",
        "Governance Officer", "Deputy Ward Manager", "Clinical Director",
        "Volunteer Coordinator",
    ],
}  # fmt: skip
PSEUDONYM_WORDS = [
    "Alder", "Aspen", "Birch", "Bramble", "Cedar", "Clover", "Fern", "Hazel",
    "Heather", "Holly", "Ivy", "Juniper", "Linden", "Maple", "Rowan", "Sorrel",
    "Willow", "Yarrow",
]  # fmt: skip

WHO = [
    "my mum", "my dad", "my partner", "my son", "my daughter", "my grandmother",
    "the person I care for", "my husband", "my wife", "my friend",
]  # fmt: skip
WAITS = [
    "four hours", "most of the night", "three weeks", "two months", "all day",
    "an hour past the appointment time", "six hours", "a long weekend",
]  # fmt: skip
STAFF = [
    "the nurses", "the receptionist", "the doctor", "the midwife",
    "the physiotherapist", "the healthcare assistants", "the porters",
    "the pharmacist", "the consultant", "the volunteers",
]  # fmt: skip
THINGS = [
    "the discharge letter", "pain relief", "a follow-up appointment",
    "the test results", "a wheelchair", "the medicines to take home",
    "a hot drink", "an interpreter", "the appointment letter", "a bed",
]  # fmt: skip
HAPPENED = [
    "I came in with {symptom} and waited {wait} to be seen.",
    "We brought {who} in {time}, and {staff} were busy but kind.",
    "Nobody could tell us when {thing} would be ready.",
    "{Staff} explained everything clearly and checked we understood.",
    "We waited {wait} for {thing}, and had to ask several times.",
    "The ward was noisy at night, which made it hard to rest with {symptom}.",
    "I was moved twice during my stay and my notes did not follow me.",
    "{Staff} noticed that {who} was frightened and stayed with us.",
    "The appointment was rearranged three times before it went ahead.",
    "I was told different things by different people about {thing}.",
    "It was my first time in hospital with {symptom} and I was anxious.",
    "{Staff} made time to answer every question, even late in the evening.",
    "When {who} was discharged, the follow-up plan was not clear.",
    "The waiting area was clean and calm, and someone explained the delay.",
]  # fmt: skip
GOOD = [
    "{Staff} were kind and patient.", "Everything was explained clearly.",
    "We felt listened to.", "The care itself was excellent.",
    "Someone checked on us regularly.", "The follow-up call was thoughtful.",
    "{Staff} treated {who} with dignity.",
]  # fmt: skip
BETTER = [
    "Clearer information about waiting times.", "A phone call when plans change.",
    "Somewhere for carers to sit.", "Letters that arrive before the appointment.",
    "One person who knows the whole story.", "Help finding the way around.",
    "Being told when {thing} would be ready.",
]  # fmt: skip
TITLES = [
    "Waiting for {thing}", "Kindness from {staff}", "A long wait with {symptom}",
    "Bringing {who} in", "Thank you to {staff}", "Nobody told us about {thing}",
    "Care for {who} at {service}", "My visit to {service}",
    "Confusion about {thing}", "A good experience at {service}",
]  # fmt: skip
REPLIES = [
    "Thank you for taking the time to tell us about your experience.",
    "I am sorry that waiting for {thing} made a hard day harder.",
    "I have shared your story with the team, who were glad to read it.",
    "We would like to hear more: please contact our patient experience team.",
    "Your story was discussed at our team meeting this week.",
    "We are looking at how we can keep people better informed while they wait.",
    "I am so pleased {staff} made a difference to you and {who}.",
]  # fmt: skip
CHANGES = [
    "Hourly comfort rounds for people waiting.", "Text reminders before appointments.",
    "A named nurse for each patient on the ward.", "Chairs for carers in the bays.",
    "Discharge medicines prepared the evening before.",
    "Waiting times shown on a screen in the waiting area.",
    "A leaflet explaining what happens after discharge.",
]  # fmt: skip
SYMPTOMS = [
    "chest pain", "a broken wrist", "breathlessness", "a bad fall", "pneumonia",
    "a high temperature", "severe pain", "a head injury", "dizziness",
]  # fmt: skip
TIMES = ["late at night", "on a Sunday", "in the early morning", "after school"]


def _fill(rng: random.Random, template: str, service: str = "the clinic") -> str:
    who, staff = rng.choice(WHO), rng.choice(STAFF)
    return template.format(
        who=who,
        wait=rng.choice(WAITS),
        staff=staff,
        Staff=staff[0].upper() + staff[1:],
        thing=rng.choice(THINGS),
        symptom=rng.choice(SYMPTOMS),
        time=rng.choice(TIMES),
        service=service,
    )


def _paragraph(rng: random.Random, pool: list[str], most: int) -> str:
    return " ".join(_fill(rng, rng.choice(pool)) for _ in range(rng.randint(1, most)))


def story_bodies(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """(what happened, what was good, what could be better, cooked HTML)."""

    def make() -> str:
        happened = "\n\n".join(
            _paragraph(rng, HAPPENED, 4) for _ in range(rng.randint(1, 3))
        )
        good = _paragraph(rng, GOOD, 2) if rng.random() < 0.8 else ""
        better = _paragraph(rng, BETTER, 2) if rng.random() < 0.7 else ""
        return "\x00".join((happened, good, better))

    bodies = []
    for joined in _distinct(rng, count, make):
        happened, good, better = joined.split("\x00")
        story = Story(
            what_happened=happened, what_was_good=good, what_could_be_better=better
        )
        bodies.append((happened, good, better, cook_story(story)))
    return bodies


def story_titles(rng: random.Random, count: int) -> list[str]:
    return _distinct(rng, count, lambda: _fill(rng, rng.choice(TITLES))[:200])


def replies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(body, cooked HTML) of staff replies."""

    def make() -> str:
        lines = rng.sample(REPLIES, rng.randint(2, 4))
        return " ".join(_fill(rng, line) for line in lines)

    return [(body, str(render_markdown(body))) for body in _distinct(rng, count, make)]


def organisation_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(place, name) pairs, e.g. ("Ashford", "Ashford Hospice"); beyond
    every invented place, a number tells them apart."""
    places = [start + end for start in PLACE_STARTS for end in PLACE_ENDS]
    rng.shuffle(places)
    kinds = [kind for kind, _ in ORGANISATION_KINDS]
    weights = [weight for _, weight in ORGANISATION_KINDS]
    names: list[tuple[str, str]] = []
    for index in range(count):
        round_ = index // len(places)
        place = places[index % len(places)] + (f" {round_ + 1}" if round_ else "")
        names.append((place, rng.choices(kinds, weights)[0].format(place=place)))
    return names


def pseudonym(rng: random.Random) -> str:
    return f"{rng.choice(PSEUDONYM_WORDS)} {rng.randint(1000, 9999)}"
