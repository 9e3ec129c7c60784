"""Text pools: what members of a health peer community write, put together
from a vocabulary and sentence patterns. Each pool is drawn once from the
seed; bodies are cooked once and reused, so a million posts cost a few
thousand Markdown renderings."""

import random
from collections.abc import Callable

from kinwell.discussions.services import cook

SYMPTOMS = [
    "fatigue", "brain fog", "joint pain", "breathlessness", "dizziness",
    "nausea", "insomnia", "tinnitus", "back pain", "low mood", "numbness",
    "muscle pain", "chest tightness", "migraine", "post-exertional malaise",
    "stiffness", "heartburn", "itching",
]  # fmt: skip
ACTIVITIES = [
    "a short walk", "the school run", "a shower", "cooking dinner",
    "a shift at work", "the weekly shop", "gardening", "a long phone call",
    "hoovering", "a family birthday", "the stairs", "a bus into town",
    "a video meeting", "ironing", "visiting my mum", "a swim",
]  # fmt: skip
PEOPLE = [
    "my GP", "the practice nurse", "my partner", "my daughter", "my carer",
    "the consultant", "the physio", "my manager", "the pharmacist",
    "occupational health", "my son", "the specialist nurse", "my counsellor",
    "a friend from this group", "the out-of-hours doctor",
]  # fmt: skip
MEDICATIONS = [
    "amitriptyline", "sertraline", "propranolol", "ibuprofen", "paracetamol",
    "melatonin", "vitamin D", "metformin", "pregabalin", "levothyroxine",
    "omeprazole", "naproxen", "gabapentin", "ivabradine", "low-dose naltrexone",
    "magnesium", "iron tablets", "an antihistamine",
]  # fmt: skip
TIMES = [
    "this morning", "last night", "after lunch", "since Christmas",
    "for three weeks", "on bad days", "every afternoon", "since the summer",
    "over the weekend", "for about a month", "most evenings", "since my last review",
]  # fmt: skip
STRATEGIES = [
    "pacing", "a heart-rate monitor", "a symptom diary", "planned rest breaks",
    "a phased return to work", "a shower stool", "an energy envelope",
    "batch cooking on good days", "a wind-down routine", "compression socks",
    "breathing exercises", "a sleep diary", "splitting jobs into small pieces",
    "resting before the crash", "a mobility scooter", "a weekly planner",
]  # fmt: skip
FEELINGS = [
    "frustrated", "relieved", "exhausted", "hopeful", "anxious", "a bit lost",
    "grateful", "fed up", "calmer", "worn out", "encouraged", "overwhelmed",
]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "next week"]
ADJUSTMENTS = [
    "shorter days", "working from home twice a week", "a later start",
    "a quiet room for breaks", "fewer meetings", "a phased return",
    "a chair in the shop", "time off for appointments",
]  # fmt: skip
TOPICS = [
    "sleep", "pacing", "work", "benefits forms", "GP appointments", "diet",
    "exercise", "medication", "carers", "mental health", "flare-ups",
    "hospital letters", "travel", "school", "money worries", "heat",
]  # fmt: skip

SENTENCES = [
    "I've been dealing with {symptom} {time} and it's wearing me down.",
    "Has anyone tried {strategy}? {Person} suggested it but I'm not sure.",
    "My GP appointment is on {day}, and I want to ask about {medication}.",
    "{Person} said to cut back on {activity} until the {symptom} settles.",
    "Pacing is hard when {activity} can't wait.",
    "I started {medication} {time} and the {symptom} is a little better.",
    "Thank you for sharing this, it helps to know I'm not the only one.",
    "The boom and bust cycle is real: {activity} on a good day, then two days flat.",
    "Work have agreed to {adjustment}, which is a start.",
    "I feel {feeling} about it, if I'm honest.",
    "{strategy_cap} has made more difference than I expected.",
    "Sleep is still patchy and the {symptom} is worse when I don't get enough.",
    "Does {medication} make anyone else drowsy in the mornings?",
    "I'm {feeling} after talking to {person} {time}.",
    "Be kind to yourself; rest is not giving up.",
    "We keep a list of questions on the fridge for appointments with {person}.",
    "The waiting list for the clinic is months long, so {strategy} is what we have.",
    "As a carer I find {activity} the hardest part of the week.",
    "{Person} noticed the {symptom} before I did.",
    "I used to manage {activity} easily and now it takes everything I have.",
    "Some days the {symptom} lifts by the afternoon and I can manage {activity}.",
    "My pharmacist checked that {medication} is fine alongside {medication2}.",
    "I've stopped {activity} for now and the {symptom} has eased a bit.",
    "It took {person} a while to take the {symptom} seriously.",
    "A small win: {activity} {time} without needing to lie down after.",
    "I'd say try {strategy} for a couple of weeks and write down how you feel.",
    "If the {symptom} gets worse suddenly, please ring 111 or {person}.",
    "Honestly, I'm {feeling} and could do with a good day.",
    "The forms asked about {activity}, and it's hard to describe a bad day on paper.",
    "I went back to {person} about the {symptom} and they changed my dose.",
]  # fmt: skip
OPENERS = [
    "Hi all,", "Hello everyone.", "Morning folks,", "Quick question:",
    "Update from me:", "Long time reader, first post.", "Thanks for the welcome.",
    "Evening all,",
]  # fmt: skip
SHORT_REPLIES = [
    "Sending strength.", "Same here, you're not alone.",
    "This is so helpful, thank you.",
    "Sorry you're going through this.", "Hope today is a gentler day.",
    "Great news, well done!", "Following, as I have the same question.",
]  # fmt: skip
LIST_INTROS = [
    "Things that help me:", "What I'm going to ask:", "My routine at the moment:",
    "Things I wish I'd known earlier:", "What worked for us:",
]  # fmt: skip
LIST_ITEMS = [
    "{strategy_cap}", "Ask {person} about {medication}", "Rest after {activity}",
    "Note the {symptom} in the diary", "Keep {time} free",
]  # fmt: skip
LINKS = [
    ("the guide to pacing", "guides/pacing"),
    ("this leaflet on sleep", "leaflets/sleep"),
    ("the page about benefits", "help/benefits"),
    ("the carers' handbook", "carers/handbook"),
    ("the medication factsheet", "factsheets/medication"),
    ("advice on returning to work", "work/returning"),
]

TITLES = [
    "Anyone else get {symptom} {time}?",
    "{Topic}: what helps you?",
    "Starting {medication}, any tips?",
    "How do you explain {symptom} to {person}?",
    "Good news about {topic}",
    "Struggling with {activity}",
    "Questions for {person} about {medication}",
    "{strategy_cap} for {symptom}?",
    "Feeling {feeling} about {topic}",
    "Tips for {activity} with {symptom}",
    "Does {medication} help with {symptom}?",
    "Back at work: {adjustment}",
    "Carers: how do you handle {topic}?",
    "First post: {symptom} and {topic}",
    "{Topic} after a bad week",
]  # fmt: skip

TAGS = [
    "Fatigue", "Pacing", "Sleep", "GP appointments", "Medication", "Carers",
    "Work", "Benefits", "Mental health", "Diet", "Exercise", "Research news",
    "Introductions", "Good days", "Bad days", "Hospital", "Family", "Money",
]  # fmt: skip
CONDITIONS = [
    "Long COVID", "ME/CFS", "Fibromyalgia", "Type 2 Diabetes", "Crohn's",
    "Lupus", "Parkinson's", "MS", "Endometriosis", "Heart Failure", "COPD",
    "Arthritis", "Migraine", "Epilepsy", "Dementia Carers", "Young Stroke",
    "Kidney", "Psoriasis", "Asthma", "Thyroid", "PoTS", "Ehlers-Danlos",
    "Sickle Cell", "Cancer Carers",
]  # fmt: skip
PLACES = [
    "North", "South", "Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast",
    "Norwich", "Kent", "Cornwall", "Newcastle", "Sheffield", "Brighton",
    "Manchester", "Liverpool", "Oxford", "York", "Dundee", "Swansea", "Hull",
    "Derby", "Exeter", "Leicester", "Online", "Evenings",
]  # fmt: skip
FIRST_NAMES = [
    "Alex", "Sam", "Priya", "Jo", "Chris", "Fatima", "Tom", "Aisha", "Ben",
    "Chloe", "Dev", "Ellie", "Femi", "Grace", "Hana", "Ian", "Jas", "Kemi",
    "Liam", "Maya", "Nadia", "Owen", "Pat", "Rosa", "Sian", "Tariq", "Una",
    "Vik", "Wen", "Yusuf", "Zoe", "Ruth", "Marek", "Leah", "Callum", "Ifeoma",
]  # fmt: skip


def _fill(rng: random.Random, template: str) -> str:
    person, strategy = rng.choice(PEOPLE), rng.choice(STRATEGIES)
    topic = rng.choice(TOPICS)
    return template.format(
        symptom=rng.choice(SYMPTOMS),
        activity=rng.choice(ACTIVITIES),
        person=person,
        Person=person[0].upper() + person[1:],
        medication=rng.choice(MEDICATIONS),
        medication2=rng.choice(MEDICATIONS),
        time=rng.choice(TIMES),
        strategy=strategy,
        strategy_cap=strategy[0].upper() + strategy[1:],
        feeling=rng.choice(FEELINGS),
        day=rng.choice(DAYS),
        adjustment=rng.choice(ADJUSTMENTS),
        topic=topic,
        Topic=topic[0].upper() + topic[1:],
    )


def _sentence(rng: random.Random) -> str:
    sentence = _fill(rng, rng.choice(SENTENCES))
    if rng.random() < 0.08:
        # Emphasis on one word, as people do when something matters.
        words = sentence.split(" ")
        at = rng.randrange(len(words))
        if words[at].isalpha():
            words[at] = f"*{words[at]}*" if rng.random() < 0.7 else f"**{words[at]}**"
        sentence = " ".join(words)
    return sentence


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.choice((1, 2, 2, 3, 3, 4, 5))))


def _bullets(rng: random.Random) -> str:
    numbered = rng.random() < 0.3
    lines = [rng.choice(LIST_INTROS), ""]
    for number in range(1, rng.randint(2, 5) + 1):
        item = _fill(rng, rng.choice(LIST_ITEMS))
        lines.append(f"{number}. {item}" if numbered else f"- {item}")
    return "\n".join(lines)


def _link(rng: random.Random) -> str:
    text, path = rng.choice(LINKS)
    return f"There is [{text}](https://example.org/{path}) if it helps."


def _body(rng: random.Random) -> str:
    """One post: mostly a few paragraphs, sometimes a one-line reply, now and
    then a long update with a list, a link or a quote of someone else."""
    shape = rng.random()
    if shape < 0.12:
        return rng.choice(SHORT_REPLIES) + " " + _sentence(rng)
    count = rng.choice((1, 1, 2, 2, 2, 3, 3, 4)) if shape < 0.9 else rng.randint(4, 8)
    parts = [_paragraph(rng) for _ in range(count)]
    if rng.random() < 0.3:
        parts[0] = f"{rng.choice(OPENERS)} {parts[0]}"
    extras: list[tuple[float, Callable[[random.Random], str]]] = [
        (0.2, _bullets),
        (0.1, _link),
    ]
    for chance, make in extras:
        if rng.random() < chance:
            parts.insert(rng.randint(1, len(parts)), make(rng))
    if count >= 5 and rng.random() < 0.4:
        parts.insert(0, "### Update")
    if rng.random() < 0.25:
        parts.insert(0, "> " + _sentence(rng))
    return "\n\n".join(parts)


def _distinct(rng: random.Random, count: int, make: Callable[[], str]) -> list[str]:
    # A list keeps the draw order (sets of strings iterate in a per-process
    # order); the set only answers "seen before?".
    made: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(made) < count and attempts < count * 20:
        attempts += 1
        text = make()
        if text not in seen:
            seen.add(text)
            made.append(text)
    return made


def bodies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """`count` distinct bodies, each with its cooked HTML."""
    return [(body, cook(body)) for body in _distinct(rng, count, lambda: _body(rng))]


def titles(rng: random.Random, count: int) -> list[str]:
    return _distinct(rng, count, lambda: _fill(rng, rng.choice(TITLES))[:200])


def community_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(condition, name) pairs, e.g. ("Lupus", "Lupus Bristol"); beyond every
    pairing of condition and place, a number tells them apart."""
    pairs = [(condition, place) for condition in CONDITIONS for place in PLACES]
    rng.shuffle(pairs)
    names: list[tuple[str, str]] = []
    for index in range(count):
        condition, place = pairs[index % len(pairs)]
        round_ = index // len(pairs)
        suffix = f" {round_ + 1}" if round_ else ""
        names.append((condition, f"{condition} {place}{suffix}"))
    return names


def display_name(rng: random.Random) -> str:
    """Real names are never needed: some leave it empty, most use a first name."""
    roll = rng.random()
    if roll < 0.15:
        return ""
    name = rng.choice(FIRST_NAMES)
    if roll < 0.6:
        name += f" {chr(ord('A') + rng.randrange(26))}."
    return name
