"""What living with each seeded condition looks like in a tracker: the
conditions members name, the symptoms they rate (the most common first) and
the treatments they try (how many try each, how much it tends to help, what
it tends to cause).

Every name is a catalogue entry: one of the installation's generic set
(`kinwell/tracking/generic_catalogue.py`), or else an entry the organisers
of each community that needs it added to their own catalogue, as organisers
do. Codes are given where they are well established and left empty
otherwise."""

from dataclasses import dataclass

# Generic entries (kinwell/tracking/generic_catalogue.py) with long names.
MECFS = "ME/CFS (myalgic encephalomyelitis / chronic fatigue syndrome)"
COPD = "COPD (chronic obstructive pulmonary disease)"
ANXIETY_DISORDER = "Generalised anxiety disorder"
CBT = "Cognitive behavioural therapy (CBT)"

# Conditions and symptoms outside the generic set, which each community
# whose members need them adds to its own catalogue: name -> ICD-10 code.
LOCAL_CONDITIONS = {
    "Lupus (SLE)": "M32",
    "Endometriosis": "N80",
    "Osteoarthritis": "M19",
    "Epilepsy": "G40",
    "Stroke": "I64",
    "Chronic kidney disease": "N18",
    "Psoriasis": "L40",
    "Psoriatic arthritis": "L40.5",
    "Underactive thyroid": "E03.9",
    "PoTS (postural tachycardia syndrome)": "",
    "Ehlers-Danlos syndrome": "Q79.6",
    "Sickle cell disease": "D57",
    "High blood pressure": "I10",
    "Irritable bowel syndrome": "K58",
}
LOCAL_SYMPTOMS = {
    "Widespread pain": "",
    "Pelvic pain": "R10.2",
    "Pain crisis": "",
    "Drowsiness": "R40.0",
    "Light sensitivity": "H53.1",
    "Swollen ankles": "R60.0",
    "Bloating": "R14",
    "Thirst": "R63.1",
    "Irritability": "R45.4",
}


@dataclass(frozen=True)
class Profile:
    conditions: tuple[str, ...]
    # The most common first.
    symptoms: tuple[str, ...]
    # (treatment, share of members who try it, how much it tends to help 0-1);
    # the first is the one nearly everyone in a devoted cohort tries.
    treatments: tuple[tuple[str, float, float], ...]
    # Other conditions members sometimes name.
    alongside: tuple[str, ...] = ("Depression", ANXIETY_DISORDER, "High blood pressure")


FATIGUE_TREATMENTS = (
    ("Pacing", 0.6, 0.55),
    ("Amitriptyline", 0.2, 0.3),
    ("Low-dose naltrexone", 0.15, 0.35),
    ("Melatonin", 0.2, 0.3),
    ("More salt and fluids", 0.2, 0.35),
    ("Compression stockings", 0.12, 0.3),
    ("Heart rate monitor", 0.2, 0.35),
    (CBT, 0.12, 0.2),
    ("Regular sleep routine", 0.2, 0.3),
)
PAIN_TREATMENTS = (
    ("Paracetamol", 0.35, 0.2),
    ("Ibuprofen", 0.25, 0.3),
    ("Amitriptyline", 0.25, 0.3),
    ("Pregabalin", 0.15, 0.35),
    ("Physiotherapy", 0.25, 0.35),
    ("Gentle exercise", 0.3, 0.4),
    ("Heat pads", 0.2, 0.25),
    ("TENS machine", 0.1, 0.2),
)
CARERS = Profile(
    (),
    ("Trouble sleeping", "Low mood", "Anxiety", "Fatigue", "Back pain", "Headache"),
    (
        ("Carers' support group", 0.35, 0.4),
        ("Counselling", 0.25, 0.35),
        ("Respite care", 0.2, 0.45),
        ("Mindfulness or meditation", 0.2, 0.25),
        ("Sertraline", 0.08, 0.35),
    ),
)

# Keyed by the conditions communities are named after (seeding/text.py).
PROFILES = {
    "Long COVID": Profile(
        ("Long COVID",),
        (
            "Fatigue",
            "Crash after activity",
            "Brain fog",
            "Breathlessness",
            "Palpitations",
            "Trouble sleeping",
            "Headache",
            "Muscle pain",
            "Dizziness",
            "Loss of smell",
        ),
        (
            *FATIGUE_TREATMENTS,
            ("Ivabradine", 0.12, 0.45),
            ("Cetirizine", 0.15, 0.25),
            ("Famotidine", 0.1, 0.2),
            ("Breathing retraining", 0.3, 0.35),
        ),
    ),
    "ME/CFS": Profile(
        (MECFS,),
        (
            "Fatigue",
            "Crash after activity",
            "Trouble sleeping",
            "Brain fog",
            "Muscle pain",
            "Headache",
            "Dizziness",
            "Light sensitivity",
        ),
        FATIGUE_TREATMENTS,
        ("Fibromyalgia", "Irritable bowel syndrome", "Depression"),
    ),
    "Fibromyalgia": Profile(
        ("Fibromyalgia",),
        (
            "Widespread pain",
            "Fatigue",
            "Trouble sleeping",
            "Joint stiffness",
            "Brain fog",
            "Headache",
        ),
        (
            ("Gentle exercise", 0.3, 0.4),
            *PAIN_TREATMENTS[:5],
            ("Pacing", 0.3, 0.4),
            ("Warm water exercise", 0.2, 0.4),
            ("Mindfulness or meditation", 0.15, 0.25),
        ),
        (MECFS, "Irritable bowel syndrome", "Depression"),
    ),
    "Type 2 Diabetes": Profile(
        ("Type 2 diabetes",),
        (
            "Fatigue",
            "Thirst",
            "Pins and needles",
            "Low mood",
            "Blurred vision",
            "Dry mouth",
        ),
        (
            ("Metformin", 0.75, 0.5),
            ("Dapagliflozin", 0.25, 0.45),
            ("Insulin", 0.12, 0.5),
            ("Continuous glucose monitor", 0.2, 0.4),
            ("Gentle exercise", 0.4, 0.4),
            ("Changes to diet", 0.45, 0.4),
        ),
        ("High blood pressure", "Depression", "Chronic kidney disease"),
    ),
    "Crohn's": Profile(
        ("Crohn's disease",),
        ("Stomach pain", "Diarrhoea", "Fatigue", "Bloating", "Joint pain", "Nausea"),
        (
            ("Mesalazine", 0.35, 0.35),
            ("Adalimumab", 0.3, 0.6),
            ("Prednisolone", 0.3, 0.5),
            ("Changes to diet", 0.3, 0.3),
            ("Paracetamol", 0.2, 0.2),
        ),
        ("Irritable bowel syndrome", ANXIETY_DISORDER, "Depression"),
    ),
    "Lupus": Profile(
        ("Lupus (SLE)",),
        ("Fatigue", "Joint pain", "Rash", "Hair loss", "Brain fog", "Headache"),
        (
            ("Hydroxychloroquine", 0.7, 0.45),
            ("Prednisolone", 0.35, 0.5),
            ("Methotrexate", 0.15, 0.4),
            ("Pacing", 0.3, 0.4),
            ("Vitamin D", 0.25, 0.1),
        ),
        ("Fibromyalgia", "Depression", "High blood pressure"),
    ),
    "Parkinson's": Profile(
        ("Parkinson's disease",),
        (
            "Tremor",
            "Joint stiffness",
            "Trouble sleeping",
            "Constipation",
            "Low mood",
            "Fatigue",
        ),
        (
            ("Co-careldopa", 0.8, 0.6),
            ("Physiotherapy", 0.4, 0.35),
            ("Gentle exercise", 0.45, 0.35),
            ("Melatonin", 0.15, 0.3),
        ),
    ),
    "MS": Profile(
        ("Multiple sclerosis",),
        (
            "Fatigue",
            "Pins and needles",
            "Muscle weakness",
            "Brain fog",
            "Numbness",
            "Dizziness",
        ),
        (
            ("Physiotherapy", 0.4, 0.35),
            ("Baclofen", 0.3, 0.4),
            ("Gabapentin", 0.2, 0.3),
            ("Pacing", 0.35, 0.4),
            ("Vitamin D", 0.35, 0.1),
        ),
    ),
    "Endometriosis": Profile(
        ("Endometriosis",),
        ("Pelvic pain", "Stomach pain", "Fatigue", "Bloating", "Nausea", "Low mood"),
        (
            ("Naproxen", 0.5, 0.4),
            ("Paracetamol", 0.35, 0.2),
            ("Heat pads", 0.45, 0.35),
            ("TENS machine", 0.2, 0.3),
            ("Amitriptyline", 0.15, 0.3),
        ),
        ("Irritable bowel syndrome", ANXIETY_DISORDER, "Depression"),
    ),
    "Heart Failure": Profile(
        ("Heart failure",),
        (
            "Breathlessness",
            "Fatigue",
            "Swollen ankles",
            "Trouble sleeping",
            "Dizziness",
            "Low mood",
        ),
        (
            ("Bisoprolol", 0.7, 0.45),
            ("Ramipril", 0.6, 0.4),
            ("Furosemide", 0.55, 0.5),
            ("Dapagliflozin", 0.3, 0.4),
            ("Gentle exercise", 0.3, 0.3),
        ),
        ("High blood pressure", "Type 2 diabetes", "Chronic kidney disease"),
    ),
    "COPD": Profile(
        (COPD,),
        (
            "Breathlessness",
            "Cough",
            "Wheezing",
            "Fatigue",
            "Anxiety",
            "Trouble sleeping",
        ),
        (
            ("Salbutamol inhaler", 0.8, 0.35),
            ("Tiotropium inhaler", 0.6, 0.4),
            ("Pulmonary rehabilitation", 0.3, 0.45),
            ("Breathing retraining", 0.4, 0.3),
        ),
        (ANXIETY_DISORDER, "Depression", "Heart failure"),
    ),
    "Arthritis": Profile(
        ("Rheumatoid arthritis", "Osteoarthritis"),
        (
            "Joint pain",
            "Joint stiffness",
            "Fatigue",
            "Trouble sleeping",
            "Low mood",
            "Muscle pain",
        ),
        (
            ("Methotrexate", 0.45, 0.5),
            ("Hydroxychloroquine", 0.2, 0.35),
            ("Naproxen", 0.35, 0.4),
            ("Prednisolone", 0.2, 0.5),
            ("Adalimumab", 0.15, 0.6),
            ("Physiotherapy", 0.35, 0.35),
            ("Heat pads", 0.3, 0.3),
            ("Hand exercises", 0.25, 0.3),
        ),
    ),
    "Migraine": Profile(
        ("Migraine",),
        (
            "Headache",
            "Nausea",
            "Light sensitivity",
            "Dizziness",
            "Fatigue",
            "Trouble sleeping",
        ),
        (
            ("Sumatriptan", 0.6, 0.55),
            ("Topiramate", 0.2, 0.4),
            ("Propranolol", 0.25, 0.4),
            ("Amitriptyline", 0.25, 0.35),
            ("Ibuprofen", 0.4, 0.3),
            ("Regular sleep routine", 0.25, 0.25),
        ),
        (ANXIETY_DISORDER, "Depression"),
    ),
    "Epilepsy": Profile(
        ("Epilepsy",),
        (
            "Fatigue",
            "Headache",
            "Memory problems",
            "Low mood",
            "Trouble sleeping",
            "Anxiety",
        ),
        (
            ("Levetiracetam", 0.55, 0.5),
            ("Lamotrigine", 0.4, 0.5),
            ("Regular sleep routine", 0.3, 0.3),
        ),
        (ANXIETY_DISORDER, "Depression", "Migraine"),
    ),
    "Dementia Carers": CARERS,
    "Young Stroke": Profile(
        ("Stroke",),
        (
            "Fatigue",
            "Muscle weakness",
            "Memory problems",
            "Low mood",
            "Headache",
            "Trouble sleeping",
        ),
        (
            ("Physiotherapy", 0.6, 0.4),
            ("Occupational therapy", 0.4, 0.35),
            ("Ramipril", 0.4, 0.3),
            ("Pacing", 0.3, 0.35),
            ("Mobility aid", 0.25, 0.4),
        ),
        ("High blood pressure", "Depression"),
    ),
    "Kidney": Profile(
        ("Chronic kidney disease",),
        (
            "Fatigue",
            "Itching",
            "Swollen ankles",
            "Trouble sleeping",
            "Nausea",
            "Low mood",
        ),
        (
            ("Ramipril", 0.45, 0.3),
            ("Furosemide", 0.25, 0.35),
            ("Dapagliflozin", 0.25, 0.3),
            ("Vitamin D", 0.3, 0.1),
        ),
        ("High blood pressure", "Type 2 diabetes"),
    ),
    "Psoriasis": Profile(
        ("Psoriasis", "Psoriatic arthritis"),
        (
            "Itching",
            "Rash",
            "Joint pain",
            "Trouble sleeping",
            "Low mood",
            "Anxiety",
        ),
        (
            ("Emollients", 0.7, 0.3),
            ("Methotrexate", 0.3, 0.45),
            ("Adalimumab", 0.25, 0.6),
            ("Ibuprofen", 0.2, 0.2),
            ("Mindfulness or meditation", 0.1, 0.2),
        ),
    ),
    "Asthma": Profile(
        ("Asthma",),
        (
            "Breathlessness",
            "Wheezing",
            "Cough",
            "Trouble sleeping",
            "Fatigue",
            "Anxiety",
        ),
        (
            ("Salbutamol inhaler", 0.9, 0.5),
            ("Tiotropium inhaler", 0.15, 0.35),
            ("Prednisolone", 0.2, 0.55),
            ("Cetirizine", 0.25, 0.2),
            ("Breathing retraining", 0.25, 0.25),
        ),
        (ANXIETY_DISORDER,),
    ),
    "Thyroid": Profile(
        ("Underactive thyroid",),
        ("Fatigue", "Weight gain", "Low mood", "Brain fog", "Muscle pain", "Hair loss"),
        (("Levothyroxine", 0.9, 0.5), ("Vitamin D", 0.25, 0.1), ("Pacing", 0.15, 0.3)),
        ("Depression", ANXIETY_DISORDER),
    ),
    "PoTS": Profile(
        ("PoTS (postural tachycardia syndrome)",),
        ("Dizziness", "Palpitations", "Fatigue", "Brain fog", "Nausea", "Headache"),
        (
            ("More salt and fluids", 0.75, 0.4),
            ("Compression stockings", 0.5, 0.35),
            ("Ivabradine", 0.25, 0.45),
            ("Propranolol", 0.2, 0.35),
            ("Fludrocortisone", 0.15, 0.35),
            ("Midodrine", 0.12, 0.4),
            ("Heart rate monitor", 0.3, 0.3),
        ),
        ("Ehlers-Danlos syndrome", MECFS, ANXIETY_DISORDER),
    ),
    "Ehlers-Danlos": Profile(
        ("Ehlers-Danlos syndrome",),
        (
            "Joint pain",
            "Fatigue",
            "Dizziness",
            "Back pain",
            "Trouble sleeping",
            "Muscle pain",
        ),
        (
            ("Physiotherapy", 0.5, 0.4),
            ("Paracetamol", 0.3, 0.15),
            ("Compression stockings", 0.2, 0.25),
            ("Heat pads", 0.3, 0.3),
            ("Pacing", 0.3, 0.35),
            ("Joint splints", 0.2, 0.3),
        ),
        ("PoTS (postural tachycardia syndrome)", ANXIETY_DISORDER),
    ),
    "Sickle Cell": Profile(
        ("Sickle cell disease",),
        (
            "Pain crisis",
            "Fatigue",
            "Joint pain",
            "Breathlessness",
            "Headache",
            "Low mood",
        ),
        (
            ("Hydroxycarbamide", 0.5, 0.5),
            ("Paracetamol", 0.5, 0.2),
            ("Ibuprofen", 0.3, 0.25),
            ("Heat pads", 0.25, 0.25),
        ),
        ("Depression", ANXIETY_DISORDER),
    ),
    "Cancer Carers": CARERS,
}
