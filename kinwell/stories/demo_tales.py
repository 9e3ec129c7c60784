"""The fifteen demo stories and what happens to each (see demo.py).

Written to the published moderation principles: no patient is named,
staff are named only in positive stories, and no date or detail could tell
who anyone is, except in the stories the moderator returns or redacts for
exactly that reason."""

from dataclasses import dataclass

from kinwell.stories.models import Reason, Redaction, StaffReply, Story

PATIENT, CARER, RELATIVE, STAFF = (
    Story.AuthorRole.PATIENT,
    Story.AuthorRole.CARER,
    Story.AuthorRole.RELATIVE,
    Story.AuthorRole.STAFF_FOR_PATIENT,
)
PLANNED, MADE = StaffReply.Change.PLANNED, StaffReply.Change.MADE
ALEX, CASEY, NIA, JO = (
    "alex@demo.kinwell.test",
    "casey@demo.kinwell.test",
    "nia@demo.kinwell.test",
    "jo@demo.kinwell.test",
)
VAL, RIN = "val@demo.kinwell.test", "rin@demo.kinwell.test"
DANA, ELI, FRAN = (
    "dana@demo.kinwell.test",
    "eli@demo.kinwell.test",
    "fran@demo.kinwell.test",
)
GUS, HAL, IVY = (
    "gus@demo.kinwell.test",
    "hal@demo.kinwell.test",
    "ivy@demo.kinwell.test",
)


@dataclass(frozen=True)
class Answer:
    responder: str
    body: str
    change: str = ""
    change_description: str = ""
    # False leaves a first reply waiting for a moderator.
    moderated: bool = True
    helpful: tuple[str, ...] = ()
    # Days after publication.
    after_days: int = 2


@dataclass(frozen=True)
class Tale:
    author: str
    author_role: str
    services: tuple[str, ...]
    title: str
    what_happened: str
    what_was_good: str = ""
    what_could_be_better: str = ""
    feelings: tuple[str, ...] = ()
    # submitted, returned, rejected, published or withdrawn
    end: str = "published"
    criticality: int | None = None
    days_ago: int = 30
    readers: tuple[str, ...] = ()
    echoes: tuple[str, ...] = ()
    answers: tuple[Answer, ...] = ()
    show_reader_titles: bool = False
    # (field, original, replacement, note), proposed and left for the author.
    redaction: tuple[str, str, str, str] | None = None
    reason: str = ""
    note: str = ""
    withdrawn_after: int = 10


TALES = [
    Tale(
        ALEX,
        PATIENT,
        ("Long COVID Clinic",),
        "Finally someone who understood the fatigue",
        "After more than a year of being told to push through, I was referred "
        "to the Long COVID clinic. The first appointment was an hour long and "
        "nobody looked at the clock.\n\nWe made a pacing plan together and "
        "agreed to review it in six weeks.",
        "The physiotherapist, Sunita, explained post-exertional malaise in a "
        "way my family finally understood. I left with a plan written down.",
        "The waiting list was long, and nobody told me where I was on it.",
        ("listened-to", "reassured", "grateful"),
        criticality=0,
        days_ago=150,
        readers=(ELI, DANA, FRAN),
        echoes=(CASEY, NIA),
        show_reader_titles=True,
        answers=(
            Answer(
                ELI,
                "Thank you for taking the time to write this. I have shared it "
                "with Sunita and the whole team, who were delighted.\n\nYou are "
                "right about the waiting list: we now send a letter every two "
                "months to say where people stand.",
                helpful=(ALEX, CASEY),
                after_days=3,
            ),
        ),
    ),
    Tale(
        CASEY,
        CARER,
        ("Adult Emergency Care",),
        "A long night in the corridor",
        "I brought the person I care for to the emergency department in the "
        "evening. We waited on a trolley in the corridor for most of the "
        "night. They are frail and could not get comfortable.\n\nWhen we "
        "asked for water, staff were kind, but it took a long time.",
        "The nurse who assessed us was calm and explained what would happen.",
        "Someone checking on people in the corridor every hour would have "
        "made a big difference. So would a chair for carers.",
        ("anxious", "ignored", "frustrated"),
        criticality=3,
        days_ago=110,
        readers=(FRAN, DANA, ELI),
        echoes=(ALEX, JO, RIN),
        answers=(
            Answer(
                DANA,
                "I am sorry for the night you both had. Waiting in a corridor "
                "is not the care we want to give, and your story was discussed "
                "at our emergency care meeting.",
                change=PLANNED,
                change_description="Hourly comfort rounds for everyone waiting "
                "in the corridor, with water and a chair for a carer.",
                helpful=(CASEY, ALEX),
                after_days=4,
            ),
        ),
    ),
    Tale(
        JO,
        PATIENT,
        ("Postnatal Ward",),
        "Nobody could tell me when I could go home",
        "After the birth we were ready to go home in the morning, but we "
        "waited all day for the discharge paperwork and medicines. Each time "
        "I asked, I was told it would not be long.",
        "The midwives were warm and helped with feeding at three in the morning.",
        "A simple time for going home, and being told honestly when it slipped.",
        ("frustrated", "confused"),
        criticality=2,
        days_ago=220,
        readers=(DANA, ELI),
        echoes=(CASEY,),
        answers=(
            Answer(
                DANA,
                "Thank you for telling us. Waiting for medicines to take home "
                "is the main delay, and we are working with the pharmacy on it.",
                change=PLANNED,
                change_description="Medicines to take home prepared the evening "
                "before a planned discharge.",
                after_days=5,
            ),
            Answer(
                DANA,
                "An update: since last month, medicines for going home are "
                "prepared the evening before, and the ward gives each family a "
                "time for going home in the morning.",
                change=MADE,
                change_description="Medicines prepared the evening before; a "
                "going-home time given every morning.",
                helpful=(JO, CASEY),
                after_days=60,
            ),
        ),
    ),
    Tale(
        ALEX,
        PATIENT,
        ("Physiotherapy",),
        "Exercises I could actually do",
        "I was worried physiotherapy would mean pushing too hard. Instead we "
        "started with very small exercises and built up slowly.",
        "The sheet of exercises with pictures.",
        "The room was hard to find from the main entrance.",
        ("respected", "safe"),
        criticality=1,
        days_ago=20,
        readers=(FRAN,),
    ),
    Tale(
        CASEY,
        RELATIVE,
        ("Inpatient Unit",),
        "Peace and kindness in the last week",
        "My father spent his last week in the hospice. The room looked onto "
        "the garden and we could stay as long as we liked, day or night.",
        "The nurse, Bea, always had time to sit with us. She explained each "
        "change gently, and told us what to expect when we asked.",
        "Parking for families staying overnight was difficult.",
        ("respected", "safe", "grateful"),
        criticality=0,
        days_ago=160,
        readers=(GUS, HAL, IVY),
        echoes=(NIA,),
        answers=(
            Answer(
                HAL,
                "Thank you for writing about your father. I have passed your "
                "words to Bea, who remembers you both. Families staying "
                "overnight can now ask at reception for a free parking permit.",
                helpful=(CASEY, ALEX),
                after_days=6,
            ),
        ),
    ),
    Tale(
        NIA,
        STAFF,
        ("District Nursing West",),
        "Never knowing when the nurse will come",
        "I am writing for a patient I visit socially, who asked me to. The "
        "district nurses come every day to dress a wound, but the time can be "
        "anywhere from eight in the morning to six in the evening, so they "
        "cannot go out or plan their day.",
        "The nurses are skilled and the wound is healing.",
        "A morning or afternoon slot, or a call when the nurse is on the way.",
        ("frustrated", "anxious"),
        criticality=2,
        days_ago=6,
        readers=(GUS, HAL),
        answers=(
            Answer(
                HAL,
                "Thank you for writing this for your neighbour. We are looking "
                "at how we plan routes so that people can have a morning or an "
                "afternoon slot, and I would like to talk it through with them.",
                moderated=False,
                after_days=1,
            ),
        ),
    ),
    Tale(
        JO,
        PATIENT,
        ("Minor Injuries Unit", "Adult Emergency Care"),
        "Sent between two hospitals for one X-ray",
        "I hurt my wrist and went to the minor injuries unit. The X-ray "
        "machine was not working that afternoon, so I was sent to the "
        "emergency department at the general hospital and started waiting "
        "again.",
        "Both teams were friendly and apologetic.",
        "A sign or a phone message saying the X-ray was closed would have "
        "saved me the journey.",
        ("frustrated",),
        criticality=2,
        days_ago=70,
        readers=(FRAN, DANA),
        echoes=(ALEX,),
        answers=(
            Answer(
                ELI,
                "I am sorry you had two waits for one X-ray. When the X-ray "
                "room at Riverside is closed, the unit's phone message and our "
                "website now say so.",
                helpful=(JO,),
                after_days=2,
            ),
        ),
    ),
    Tale(
        ALEX,
        PATIENT,
        ("Cardiology Clinic",),
        "The letter came after the appointment",
        "My appointment letter for the heart clinic arrived two days after "
        "the appointment. I rang to explain and was told I would go back to "
        "the end of the list.",
        "The receptionist I spoke to was sympathetic.",
        "Letters sent in time, or a text message as well as a letter.",
        ("frustrated", "ignored"),
        criticality=2,
        days_ago=260,
        readers=(DANA, ELI),
        echoes=(CASEY, JO),
        answers=(
            Answer(
                ELI,
                "Thank you, and I am sorry. You should not lose your place "
                "because a letter was late: the clinic has booked you a new "
                "appointment without the wait.",
                change=PLANNED,
                change_description="Text message reminders for outpatient "
                "appointments.",
                after_days=3,
            ),
            Answer(
                ELI,
                "Outpatient appointments now come with a text message a week "
                "before and a day before, as well as the letter.",
                change=MADE,
                change_description="Text reminders a week and a day before each "
                "outpatient appointment.",
                helpful=(ALEX, JO, CASEY),
                after_days=90,
            ),
        ),
    ),
    Tale(
        CASEY,
        CARER,
        ("Day Therapies",),
        "A day a week that is just for us",
        "The person I care for goes to day therapies every week. They do "
        "gentle exercise and art, and I get a few hours to rest.",
        "The volunteers make everyone welcome, and the lunch is lovely.",
        "",
        ("listened-to", "grateful"),
        criticality=0,
        days_ago=45,
        readers=(IVY, GUS),
        answers=(
            Answer(
                GUS,
                "Thank you! We will share this with the volunteers, who will be "
                "very pleased to read it.",
                helpful=(CASEY,),
                after_days=2,
            ),
        ),
    ),
    Tale(
        JO,
        PATIENT,
        ("Antenatal Clinic",),
        "My scan was moved three times",
        "My scan appointment was moved three times at short notice. Each "
        "time I had arranged time off work.",
        "The sonographer was lovely on the day.",
        "More notice, or a way to choose a new time myself.",
        ("frustrated",),
        end="withdrawn",
        criticality=1,
        days_ago=80,
        readers=(DANA,),
        echoes=(ALEX,),
        withdrawn_after=12,
    ),
    Tale(
        ALEX,
        PATIENT,
        ("Rehabilitation Ward",),
        "No physio at the weekend",
        "During my stay on the rehabilitation ward there was no physiotherapy "
        "at weekends, so I lost two days of progress each week.",
        "The weekday physiotherapy was excellent.",
        "Even one session on a Saturday would help.",
        ("frustrated",),
        end="submitted",
        days_ago=1,
    ),
    Tale(
        CASEY,
        CARER,
        ("Palliative Care at Home",),
        "Waiting for the night nurse",
        "We were promised a night nurse so that I could sleep. Twice nobody "
        "came and nobody rang. Staff Nurse Pat told me it was not her problem.",
        "The day team were excellent.",
        "A phone call when a night shift cannot be covered.",
        ("ignored", "angry"),
        end="submitted",
        days_ago=2,
        redaction=(
            Redaction.Field.WHAT_HAPPENED,
            "Staff Nurse Pat told me",
            "One nurse told me",
            "Our principles keep staff unnamed in critical stories.",
        ),
    ),
    Tale(
        JO,
        PATIENT,
        ("Labour Ward",),
        "A frightening night on the labour ward",
        "On the night of the fourteenth, in room six, I waited a long time "
        "for pain relief after asking for it.",
        "",
        "Being told how long pain relief would take.",
        ("anxious",),
        end="returned",
        days_ago=4,
        reason=Reason.IDENTIFYING,
        note="Thank you for your story. The date and the room could identify you "
        "and the staff on shift. Could you leave them out and send it again?",
    ),
    Tale(
        ALEX,
        PATIENT,
        ("Cardiology Clinic",),
        "Late appointment letter again",
        "As in my other story, my letter for the heart clinic came after the "
        "appointment.",
        end="rejected",
        days_ago=240,
        reason=Reason.DUPLICATE,
        note="This repeats your published story about the late letter, which "
        "the clinic has answered.",
    ),
    Tale(
        CASEY,
        RELATIVE,
        ("Family Support and Bereavement",),
        "Someone to talk to afterwards",
        "After my father died, the hospice's bereavement service rang to ask "
        "how I was. I went to a small group for six weeks.",
        "Being asked, rather than having to ask.",
        "",
        ("listened-to", "reassured"),
        criticality=0,
        days_ago=35,
        readers=(IVY, GUS, HAL),
        echoes=(NIA, VAL),
        answers=(
            Answer(
                GUS,
                "Thank you for telling us. The group will be glad to know it helped.",
                helpful=(CASEY,),
                after_days=3,
            ),
        ),
    ),
]
