"""The treatments seeded members try: their kind and code, the dose and
frequency people usually record, the side effects each tends to bring on
(symptom names, with the chance that a course does), and how long a
programme with an end runs."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TreatmentKind:
    kind: str
    atc: str = ""
    dose: str = ""
    frequency: str = ""
    # (symptom, chance that a course brings it on)
    side_effects: tuple[tuple[str, float], ...] = ()
    # A therapy or programme that ends: roughly how many days it runs.
    course_days: int = 0


M, T, D, L = "medicine", "therapy", "device", "lifestyle"
TREATMENTS = {
    "Paracetamol": TreatmentKind(M, "N02BE01", "1 g", "up to four times a day"),
    "Ibuprofen": TreatmentKind(
        M, "M01AE01", "400 mg", "three times a day", (("Stomach pain", 0.12),)
    ),
    "Naproxen": TreatmentKind(
        M, "M01AE02", "500 mg", "twice a day", (("Stomach pain", 0.15),)
    ),
    "Amitriptyline": TreatmentKind(
        M,
        "N06AA09",
        "10 mg",
        "at night",
        (("Drowsiness", 0.35), ("Dry mouth", 0.3), ("Weight gain", 0.12)),
    ),
    "Sertraline": TreatmentKind(
        M,
        "N06AB06",
        "50 mg",
        "once a day",
        (("Nausea", 0.2), ("Trouble sleeping", 0.12)),
    ),
    "Pregabalin": TreatmentKind(
        M,
        "N03AX16",
        "75 mg",
        "twice a day",
        (("Dizziness", 0.3), ("Drowsiness", 0.25), ("Weight gain", 0.15)),
    ),
    "Gabapentin": TreatmentKind(
        M, "N03AX12", "300 mg", "three times a day", (("Drowsiness", 0.25),)
    ),
    "Metformin": TreatmentKind(
        M,
        "A10BA02",
        "500 mg",
        "twice a day",
        (("Diarrhoea", 0.3), ("Nausea", 0.2), ("Stomach pain", 0.1)),
    ),
    "Dapagliflozin": TreatmentKind(
        M, "A10BK01", "10 mg", "once a day", (("Thirst", 0.1),)
    ),
    "Methotrexate": TreatmentKind(
        M, "L04AX03", "15 mg", "once a week", (("Nausea", 0.35), ("Hair loss", 0.1))
    ),
    "Hydroxychloroquine": TreatmentKind(
        M, "P01BA02", "200 mg", "twice a day", (("Nausea", 0.12), ("Rash", 0.05))
    ),
    "Prednisolone": TreatmentKind(
        M,
        "H02AB06",
        "5 mg",
        "once a day",
        (("Weight gain", 0.3), ("Trouble sleeping", 0.25), ("Irritability", 0.15)),
        course_days=42,
    ),
    "Adalimumab": TreatmentKind(
        M, "L04AB04", "40 mg", "every other week", (("Rash", 0.1),)
    ),
    "Mesalazine": TreatmentKind(
        M, "A07EC02", "2.4 g", "once a day", (("Headache", 0.1), ("Nausea", 0.08))
    ),
    "Propranolol": TreatmentKind(
        M, "C07AA05", "10 mg", "twice a day", (("Fatigue", 0.15), ("Dizziness", 0.1))
    ),
    "Ivabradine": TreatmentKind(
        M, "C01EB17", "2.5 mg", "twice a day", (("Light sensitivity", 0.12),)
    ),
    "Bisoprolol": TreatmentKind(
        M, "C07AB07", "2.5 mg", "once a day", (("Fatigue", 0.15), ("Dizziness", 0.12))
    ),
    "Furosemide": TreatmentKind(
        M, "C03CA01", "40 mg", "in the morning", (("Thirst", 0.12),)
    ),
    "Ramipril": TreatmentKind(M, "C09AA05", "2.5 mg", "once a day", (("Cough", 0.12),)),
    "Sumatriptan": TreatmentKind(
        M, "N02CC01", "50 mg", "when needed", (("Drowsiness", 0.1), ("Nausea", 0.08))
    ),
    "Topiramate": TreatmentKind(
        M,
        "N03AX11",
        "25 mg",
        "twice a day",
        (("Pins and needles", 0.3), ("Brain fog", 0.2)),
    ),
    "Levothyroxine": TreatmentKind(M, "H03AA01", "75 micrograms", "in the morning"),
    "Salbutamol inhaler": TreatmentKind(
        M,
        "R03AC02",
        "2 puffs",
        "when needed",
        (("Tremor", 0.15), ("Palpitations", 0.1)),
    ),
    "Tiotropium inhaler": TreatmentKind(
        M, "R03BB04", "2 puffs", "once a day", (("Dry mouth", 0.15),)
    ),
    "Levetiracetam": TreatmentKind(
        M,
        "N03AX14",
        "500 mg",
        "twice a day",
        (("Irritability", 0.2), ("Drowsiness", 0.15)),
    ),
    "Lamotrigine": TreatmentKind(
        M, "N03AX09", "100 mg", "twice a day", (("Rash", 0.08), ("Dizziness", 0.1))
    ),
    "Co-careldopa": TreatmentKind(
        M,
        "N04BA02",
        "25/100 mg",
        "three times a day",
        (("Nausea", 0.2), ("Dizziness", 0.12)),
    ),
    "Baclofen": TreatmentKind(
        M, "M03BX01", "10 mg", "three times a day", (("Drowsiness", 0.25),)
    ),
    "Cetirizine": TreatmentKind(
        M, "R06AE07", "10 mg", "once a day", (("Drowsiness", 0.1),)
    ),
    "Famotidine": TreatmentKind(M, "A02BA03", "20 mg", "twice a day"),
    "Low-dose naltrexone": TreatmentKind(
        M, "N07BB04", "4.5 mg", "at night", (("Trouble sleeping", 0.15),)
    ),
    "Melatonin": TreatmentKind(
        M, "N05CH01", "2 mg", "at night", (("Drowsiness", 0.1),)
    ),
    "Vitamin D": TreatmentKind(M, "A11CC05", "1,000 units", "once a day"),
    "Fludrocortisone": TreatmentKind(
        M, "H02AA02", "100 micrograms", "once a day", (("Headache", 0.15),)
    ),
    "Midodrine": TreatmentKind(
        M, "C01CA17", "5 mg", "three times a day", (("Itching", 0.15),)
    ),
    "Hydroxycarbamide": TreatmentKind(
        M, "L01XX05", "500 mg", "once a day", (("Nausea", 0.1), ("Hair loss", 0.05))
    ),
    "Insulin": TreatmentKind(M, "A10A", "as advised", "with meals"),
    "Emollients": TreatmentKind(M, frequency="twice a day"),
    "Physiotherapy": TreatmentKind(T, frequency="weekly", course_days=56),
    "Cognitive behavioural therapy (CBT)": TreatmentKind(
        T, frequency="weekly", course_days=84
    ),
    "Occupational therapy": TreatmentKind(
        T, frequency="every two weeks", course_days=90
    ),
    "Pulmonary rehabilitation": TreatmentKind(
        T, frequency="twice a week", course_days=56
    ),
    "Counselling": TreatmentKind(T, frequency="weekly", course_days=70),
    "Compression stockings": TreatmentKind(D, frequency="daily"),
    "TENS machine": TreatmentKind(
        D, frequency="when needed", side_effects=(("Itching", 0.05),)
    ),
    "Continuous glucose monitor": TreatmentKind(D, frequency="always on"),
    "Heart rate monitor": TreatmentKind(D, frequency="always on"),
    "Mobility aid": TreatmentKind(D, frequency="outdoors"),
    "Joint splints": TreatmentKind(D, frequency="at night"),
    "Warm water exercise": TreatmentKind(L, frequency="weekly"),
    "Hand exercises": TreatmentKind(L, frequency="daily"),
    "Pacing": TreatmentKind(L, frequency="daily"),
    "Gentle exercise": TreatmentKind(
        L, frequency="most days", side_effects=(("Crash after activity", 0.1),)
    ),
    "Breathing retraining": TreatmentKind(T, frequency="daily", course_days=42),
    "More salt and fluids": TreatmentKind(
        L, frequency="daily", side_effects=(("Bloating", 0.1),)
    ),
    "Regular sleep routine": TreatmentKind(L, frequency="daily"),
    "Changes to diet": TreatmentKind(L, frequency="daily"),
    "Mindfulness or meditation": TreatmentKind(L, frequency="most days"),
    "Heat pads": TreatmentKind(L, frequency="when needed"),
    "Carers' support group": TreatmentKind(T, frequency="monthly"),
    "Respite care": TreatmentKind(T, frequency="one week a quarter"),
}
