"""The installation's generic catalogue: a small set of conditions, symptoms
and treatments every community starts with, in the words people use.
Communities' organisers add what their members need on top.

Codes are given only where they are certain: ICD-10 (WHO) for conditions
and symptoms, SNOMED CT concept ids, ATC codes for medicines. A blank code
means none was given, not that none exists. A data migration loads this set
(updating entries by name), so changing a line here and migrating again
changes the entry in place."""

from collections.abc import Callable
from typing import Any, TypedDict


class Entry(TypedDict, total=False):
    name: str
    description: str
    icd10_code: str
    snomed_code: str
    atc_code: str
    kind: str


CONDITIONS: list[Entry] = [
    {
        "name": "Long COVID",
        "description": "Symptoms that go on for weeks or months after COVID-19.",
        "icd10_code": "U09.9",
    },
    {
        "name": "ME/CFS (myalgic encephalomyelitis / chronic fatigue syndrome)",
        "description": "Long-term illness with fatigue that rest does not ease "
        "and that worsens after activity.",
        "icd10_code": "G93.3",
        "snomed_code": "52702003",
    },
    {
        "name": "Fibromyalgia",
        "description": "Long-term pain all over the body, with tiredness.",
        "icd10_code": "M79.7",
        "snomed_code": "203082005",
    },
    {
        "name": "Type 1 diabetes",
        "icd10_code": "E10",
        "snomed_code": "46635009",
    },
    {
        "name": "Type 2 diabetes",
        "icd10_code": "E11",
        "snomed_code": "44054006",
    },
    {
        "name": "Asthma",
        "icd10_code": "J45",
        "snomed_code": "195967001",
    },
    {
        "name": "COPD (chronic obstructive pulmonary disease)",
        "icd10_code": "J44",
        "snomed_code": "13645005",
    },
    {
        "name": "Heart failure",
        "icd10_code": "I50",
        "snomed_code": "84114007",
    },
    {
        "name": "Multiple sclerosis",
        "icd10_code": "G35",
        "snomed_code": "24700007",
    },
    {
        "name": "Parkinson's disease",
        "icd10_code": "G20",
        "snomed_code": "49049000",
    },
    {
        "name": "Rheumatoid arthritis",
        "icd10_code": "M06.9",
        "snomed_code": "69896004",
    },
    {
        "name": "Crohn's disease",
        "icd10_code": "K50",
        "snomed_code": "34000006",
    },
    {
        "name": "Ulcerative colitis",
        "icd10_code": "K51",
        "snomed_code": "64766004",
    },
    {
        "name": "Migraine",
        "icd10_code": "G43",
        "snomed_code": "37796009",
    },
    {
        "name": "Depression",
        "icd10_code": "F32",
        "snomed_code": "35489007",
    },
    {
        "name": "Generalised anxiety disorder",
        "icd10_code": "F41.1",
        "snomed_code": "21897009",
    },
]

SYMPTOMS: list[Entry] = [
    {"name": "Fatigue", "icd10_code": "R53", "snomed_code": "84229001"},
    {
        "name": "Crash after activity",
        "description": "Feeling much worse hours or days after effort "
        "(post-exertional malaise).",
    },
    {
        "name": "Brain fog",
        "description": "Trouble thinking clearly, concentrating or finding words.",
    },
    {"name": "Memory problems", "snomed_code": "386807006"},
    {"name": "Breathlessness", "icd10_code": "R06.0", "snomed_code": "267036007"},
    {"name": "Wheezing", "icd10_code": "R06.2", "snomed_code": "56018004"},
    {"name": "Cough", "icd10_code": "R05", "snomed_code": "49727002"},
    {"name": "Chest pain", "icd10_code": "R07.4", "snomed_code": "29857009"},
    {"name": "Palpitations", "icd10_code": "R00.2", "snomed_code": "80313002"},
    {"name": "Dizziness", "icd10_code": "R42", "snomed_code": "404640003"},
    {"name": "Headache", "icd10_code": "R51", "snomed_code": "25064002"},
    {"name": "Muscle pain", "icd10_code": "M79.1", "snomed_code": "68962001"},
    {"name": "Joint pain", "icd10_code": "M25.5", "snomed_code": "57676002"},
    {"name": "Joint stiffness", "icd10_code": "M25.6", "snomed_code": "84445001"},
    {"name": "Back pain", "icd10_code": "M54.9", "snomed_code": "161891005"},
    {"name": "Muscle weakness", "snomed_code": "26544005"},
    {"name": "Pins and needles", "icd10_code": "R20.2", "snomed_code": "91019004"},
    {"name": "Numbness", "icd10_code": "R20.0", "snomed_code": "44077006"},
    {"name": "Tremor", "icd10_code": "R25.1", "snomed_code": "26079004"},
    {"name": "Trouble sleeping", "icd10_code": "G47.0", "snomed_code": "193462001"},
    {"name": "Low mood", "snomed_code": "366979004"},
    {"name": "Anxiety", "snomed_code": "48694002"},
    {"name": "Nausea", "snomed_code": "422587007"},
    {"name": "Vomiting", "snomed_code": "422400008"},
    {"name": "Stomach pain", "icd10_code": "R10.4", "snomed_code": "21522001"},
    {"name": "Diarrhoea", "snomed_code": "62315008"},
    {"name": "Constipation", "icd10_code": "K59.0", "snomed_code": "14760008"},
    {"name": "Loss of appetite", "icd10_code": "R63.0", "snomed_code": "79890006"},
    {"name": "Weight gain", "icd10_code": "R63.5", "snomed_code": "8943002"},
    {"name": "Loss of smell", "icd10_code": "R43.0", "snomed_code": "44169009"},
    {"name": "Loss of taste", "snomed_code": "36955009"},
    {"name": "Fever", "icd10_code": "R50.9", "snomed_code": "386661006"},
    {"name": "Sore throat", "icd10_code": "J02.9", "snomed_code": "162397003"},
    {"name": "Ringing in the ears", "icd10_code": "H93.1", "snomed_code": "60862001"},
    {"name": "Blurred vision", "icd10_code": "H53.8", "snomed_code": "246636008"},
    {"name": "Dry mouth", "icd10_code": "R68.2", "snomed_code": "87715008"},
    {"name": "Itching", "icd10_code": "L29.9", "snomed_code": "418290006"},
    {"name": "Rash", "icd10_code": "R21", "snomed_code": "271807003"},
    {"name": "Hair loss", "snomed_code": "56317004"},
]

MEDICINE = "medicine"
THERAPY = "therapy"
DEVICE = "device"
LIFESTYLE = "lifestyle"

TREATMENTS: list[Entry] = [
    {"name": "Paracetamol", "kind": MEDICINE, "atc_code": "N02BE01"},
    {"name": "Ibuprofen", "kind": MEDICINE, "atc_code": "M01AE01"},
    {"name": "Naproxen", "kind": MEDICINE, "atc_code": "M01AE02"},
    {"name": "Sumatriptan", "kind": MEDICINE, "atc_code": "N02CC01"},
    {"name": "Amitriptyline", "kind": MEDICINE, "atc_code": "N06AA09"},
    {"name": "Sertraline", "kind": MEDICINE, "atc_code": "N06AB06"},
    {"name": "Pregabalin", "kind": MEDICINE, "atc_code": "N03AX16"},
    {"name": "Gabapentin", "kind": MEDICINE, "atc_code": "N03AX12"},
    {"name": "Propranolol", "kind": MEDICINE, "atc_code": "C07AA05"},
    {"name": "Ivabradine", "kind": MEDICINE, "atc_code": "C01EB17"},
    {
        "name": "Low-dose naltrexone",
        "description": "Naltrexone in a much smaller dose than for addiction.",
        "kind": MEDICINE,
        "atc_code": "N07BB04",
    },
    {"name": "Cetirizine", "kind": MEDICINE, "atc_code": "R06AE07"},
    {"name": "Salbutamol inhaler", "kind": MEDICINE, "atc_code": "R03AC02"},
    {"name": "Prednisolone", "kind": MEDICINE, "atc_code": "H02AB06"},
    {"name": "Methotrexate", "kind": MEDICINE, "atc_code": "L04AX03"},
    {"name": "Metformin", "kind": MEDICINE, "atc_code": "A10BA02"},
    {"name": "Insulin", "kind": MEDICINE, "atc_code": "A10A"},
    {"name": "Omeprazole", "kind": MEDICINE, "atc_code": "A02BC01"},
    {"name": "Melatonin", "kind": MEDICINE, "atc_code": "N05CH01"},
    {"name": "Vitamin D", "kind": MEDICINE, "atc_code": "A11CC05"},
    {"name": "Physiotherapy", "kind": THERAPY, "snomed_code": "91251008"},
    {
        "name": "Cognitive behavioural therapy (CBT)",
        "kind": THERAPY,
        "snomed_code": "228557008",
    },
    {"name": "Occupational therapy", "kind": THERAPY},
    {"name": "Breathing retraining", "kind": THERAPY},
    {"name": "Counselling", "kind": THERAPY},
    {"name": "Compression stockings", "kind": DEVICE},
    {"name": "Heart rate monitor", "kind": DEVICE},
    {"name": "TENS machine", "kind": DEVICE},
    {
        "name": "Mobility aid",
        "description": "A stick, walker or wheelchair.",
        "kind": DEVICE,
    },
    {
        "name": "Pacing",
        "description": "Planning activity and rest to stay within your energy.",
        "kind": LIFESTYLE,
    },
    {"name": "Gentle exercise", "kind": LIFESTYLE},
    {"name": "Regular sleep routine", "kind": LIFESTYLE},
    {"name": "More salt and fluids", "kind": LIFESTYLE},
    {"name": "Changes to diet", "kind": LIFESTYLE},
    {"name": "Mindfulness or meditation", "kind": LIFESTYLE},
]


CODED = ["description", "icd10_code", "snomed_code"]
SETS: list[tuple[str, list[Entry], list[str]]] = [
    ("Condition", CONDITIONS, CODED),
    ("Symptom", SYMPTOMS, CODED),
    ("Treatment", TREATMENTS, ["description", "snomed_code", "atc_code", "kind"]),
]


def load(get_model: Callable[[str], Any]) -> int:
    """Creates or updates every generic entry, by name; returns how many
    were created. `get_model` gives a tracking model by name (the
    migration's historical models, or the real ones)."""
    created = 0
    for model_name, entries, names in SETS:
        model = get_model(model_name)
        for entry in entries:
            # A field an entry leaves out is blank, also when updating.
            fields = {field: entry.get(field, "") for field in names}
            _, new = model.objects.update_or_create(
                name=entry["name"], community=None, defaults=fields
            )
            created += int(new)
    return created
