//! Code tables the synthetic claims draw from: real code systems (ICD-10-CM,
//! ICD-10-PCS, HCPCS/CPT, NDC, revenue centers, MS-DRG, place of service),
//! each code with its description.

/// (code, display) pairs.
pub type Codes = &'static [(&'static str, &'static str)];

/// ICD-10-CM diagnoses common in the Medicare population.
pub const DIAGNOSES: Codes = &[
    ("E119", "Type 2 diabetes mellitus without complications"),
    ("E1165", "Type 2 diabetes mellitus with hyperglycemia"),
    ("I10", "Essential (primary) hypertension"),
    ("E785", "Hyperlipidemia, unspecified"),
    (
        "I2510",
        "Atherosclerotic heart disease of native coronary artery without angina pectoris",
    ),
    ("I4891", "Unspecified atrial fibrillation"),
    ("I509", "Heart failure, unspecified"),
    ("J449", "Chronic obstructive pulmonary disease, unspecified"),
    ("J189", "Pneumonia, unspecified organism"),
    ("N1830", "Chronic kidney disease, stage 3 unspecified"),
    ("M1711", "Unilateral primary osteoarthritis, right knee"),
    ("M5450", "Low back pain, unspecified"),
    ("G4733", "Obstructive sleep apnea (adult) (pediatric)"),
    ("H259", "Unspecified age-related cataract"),
    (
        "K219",
        "Gastro-esophageal reflux disease without esophagitis",
    ),
    (
        "Z0000",
        "Encounter for general adult medical examination without abnormal findings",
    ),
    ("R079", "Chest pain, unspecified"),
    ("N390", "Urinary tract infection, site not specified"),
    ("E669", "Obesity, unspecified"),
    ("R519", "Headache, unspecified"),
    ("D649", "Anemia, unspecified"),
    ("E039", "Hypothyroidism, unspecified"),
    (
        "M810",
        "Age-related osteoporosis without current pathological fracture",
    ),
    (
        "F329",
        "Major depressive disorder, single episode, unspecified",
    ),
    (
        "C3490",
        "Malignant neoplasm of unspecified part of unspecified bronchus or lung",
    ),
    ("Z5111", "Encounter for antineoplastic chemotherapy"),
    ("Z510", "Encounter for antineoplastic radiation therapy"),
];

/// ICD-10-CM diagnoses for hospital stays.
pub const INPATIENT_DIAGNOSES: Codes = &[
    ("J189", "Pneumonia, unspecified organism"),
    ("I509", "Heart failure, unspecified"),
    ("J441", "Chronic obstructive pulmonary disease with (acute) exacerbation"),
    ("I639", "Cerebral infarction, unspecified"),
    ("A419", "Sepsis, unspecified organism"),
    ("S72001A", "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"),
    ("M1711", "Unilateral primary osteoarthritis, right knee"),
    ("I214", "Non-ST elevation (NSTEMI) myocardial infarction"),
    ("N179", "Acute kidney failure, unspecified"),
];

/// ICD-10-PCS procedures.
pub const PROCEDURES: Codes = &[
    (
        "0SRC0J9",
        "Replacement of Right Knee Joint with Synthetic Substitute, Cemented, Open Approach",
    ),
    (
        "02703ZZ",
        "Dilation of Coronary Artery, One Artery, Percutaneous Approach",
    ),
    (
        "5A1955Z",
        "Respiratory Ventilation, Greater than 96 Consecutive Hours",
    ),
    (
        "0QS604Z",
        "Reposition Right Upper Femur with Internal Fixation Device, Open Approach",
    ),
    (
        "0DTJ4ZZ",
        "Resection of Appendix, Percutaneous Endoscopic Approach",
    ),
    ("B246ZZZ", "Ultrasonography of Right and Left Heart"),
    (
        "0BBK8ZX",
        "Excision of Right Lung, Via Natural or Artificial Opening Endoscopic, Diagnostic",
    ),
];

/// Office and hospital services billed by physicians (HCPCS level I / CPT).
pub const PROFESSIONAL_SERVICES: Codes = &[
    ("99213", "Office or other outpatient visit, established patient, low level of medical decision making"),
    ("99214", "Office or other outpatient visit, established patient, moderate level of medical decision making"),
    ("99215", "Office or other outpatient visit, established patient, high level of medical decision making"),
    ("99203", "Office or other outpatient visit, new patient, low level of medical decision making"),
    ("99232", "Subsequent hospital inpatient or observation care, moderate level of medical decision making"),
    ("99285", "Emergency department visit, high level of medical decision making"),
    ("80053", "Comprehensive metabolic panel"),
    ("85025", "Complete blood count (CBC) with automated differential WBC count"),
    ("83036", "Hemoglobin; glycosylated (A1C)"),
    ("80061", "Lipid panel"),
    ("93000", "Electrocardiogram, routine ECG with at least 12 leads; with interpretation and report"),
    ("71046", "Radiologic examination, chest; 2 views"),
    ("36415", "Collection of venous blood by venipuncture"),
    ("97110", "Therapeutic procedure, 1 or more areas, each 15 minutes; therapeutic exercises"),
    ("20610", "Arthrocentesis, aspiration and/or injection, major joint or bursa"),
    ("66984", "Extracapsular cataract removal with insertion of intraocular lens prosthesis"),
    ("G0439", "Annual wellness visit, includes a personalized prevention plan of service, subsequent visit"),
    ("90662", "Influenza virus vaccine, split virus, preservative free, enhanced immunogenicity via increased antigen content, for intramuscular use"),
    ("G0008", "Administration of influenza virus vaccine"),
    ("93306", "Echocardiography, transthoracic, real-time with image documentation, complete"),
    ("70553", "Magnetic resonance (eg, proton) imaging, brain; without contrast material, followed by contrast material(s) and further sequences"),
    ("77263", "Therapeutic radiology treatment planning; complex"),
    ("96400", "Chemotherapy administration, subcutaneous or intramuscular"),
    ("31628", "Bronchoscopy, rigid or flexible; with transbronchial lung biopsy(s), single lobe"),
];

/// Durable medical equipment, prosthetics, orthotics and supplies (HCPCS level II).
pub const DME_ITEMS: Codes = &[
    ("E0601", "Continuous positive airway pressure (CPAP) device"),
    ("A7030", "Full face mask used with positive airway pressure device, each"),
    ("E0143", "Walker, folding, wheeled, adjustable or fixed height"),
    ("K0001", "Standard wheelchair"),
    ("A4253", "Blood glucose test or reagent strips for home blood glucose monitor, per 50 strips"),
    ("E1390", "Oxygen concentrator, single delivery port, capable of delivering 85 percent or greater oxygen concentration"),
    ("L3908", "Wrist hand orthosis, wrist extension control cock-up, non molded, prefabricated, off-the-shelf"),
    ("E0114", "Crutches underarm, other than wood, adjustable or fixed, pair, with pad, tip and handgrips"),
];

/// Prescription drugs: (11-digit NDC, name).
pub const DRUGS: Codes = &[
    ("00093721401", "Glimepiride 2 MG Oral Tablet"),
    ("00093104801", "Metformin Hydrochloride 500 MG Oral Tablet"),
    ("00172375860", "Lisinopril 10 MG Oral Tablet"),
    ("00378395277", "Atorvastatin Calcium 20 MG Oral Tablet"),
    ("00093316705", "Amlodipine Besylate 5 MG Oral Tablet"),
    ("00378180001", "Levothyroxine Sodium 0.05 MG Oral Tablet"),
    (
        "62175013643",
        "Omeprazole 20 MG Delayed Release Oral Capsule",
    ),
    (
        "00378459201",
        "Metoprolol Succinate 50 MG Extended Release Oral Tablet",
    ),
    (
        "00173068220",
        "Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
    ),
    (
        "00088222033",
        "Insulin Glargine 100 UNT/ML Injectable Solution",
    ),
    ("00093732056", "Donepezil Hydrochloride 10 MG Oral Tablet"),
    ("00003089421", "Apixaban 5 MG Oral Tablet"),
    ("00228266711", "Gabapentin 300 MG Oral Capsule"),
    ("00093736598", "Losartan Potassium 50 MG Oral Tablet"),
    ("00093078456", "Tamoxifen 20 MG Oral Tablet"),
    ("00781507101", "Sertraline 50 MG Oral Tablet"),
    ("68462015701", "Ondansetron 4 MG Oral Tablet"),
];

/// Revenue center codes for institutional claims: (code, display, typical HCPCS or "").
pub const REVENUE_CENTERS: &[(&str, &str, &str)] = &[
    ("0120", "Room & board - semi-private (two beds)", ""),
    ("0250", "Pharmacy - general", ""),
    ("0260", "IV therapy - general", "96365"),
    ("0270", "Medical/surgical supplies - general", ""),
    ("0300", "Laboratory - general", "80053"),
    ("0301", "Laboratory - chemistry", "83036"),
    ("0305", "Laboratory - hematology", "85025"),
    ("0320", "Radiology - diagnostic - general", "71046"),
    ("0360", "Operating room services - general", ""),
    ("0410", "Respiratory services - general", "94640"),
    ("0420", "Physical therapy - general", "97110"),
    ("0430", "Occupational therapy - general", "97535"),
    ("0450", "Emergency room - general", "99284"),
    ("0510", "Clinic - general", "99213"),
    ("0636", "Drugs requiring detailed coding", "J1100"),
    ("0730", "EKG/ECG - general", "93005"),
];

/// MS-DRGs: (code, description).
pub const DRGS: Codes = &[
    ("193", "Simple pneumonia and pleurisy with MCC"),
    ("194", "Simple pneumonia and pleurisy with CC"),
    ("291", "Heart failure and shock with MCC"),
    ("190", "Chronic obstructive pulmonary disease with MCC"),
    (
        "065",
        "Intracranial hemorrhage or cerebral infarction with CC or tPA in 24 hrs",
    ),
    (
        "470",
        "Major hip and knee joint replacement or reattachment of lower extremity without MCC",
    ),
    (
        "871",
        "Septicemia or severe sepsis without MV >96 hours with MCC",
    ),
    ("180", "Respiratory neoplasms with MCC"),
];

/// CMS place of service codes.
pub const PLACES_OF_SERVICE: Codes = &[
    ("11", "Office"),
    ("21", "Inpatient Hospital"),
    ("22", "On Campus-Outpatient Hospital"),
    ("23", "Emergency Room - Hospital"),
    ("12", "Home"),
    ("81", "Independent Laboratory"),
];

/// The display of `code` in `table`, if it is there.
pub fn display(table: Codes, code: &str) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, d)| *d)
}

/// A valid 10-digit National Provider Identifier (Luhn check digit over the `80840` prefix).
pub fn npi(base: u32) -> String {
    let body = format!("1{:08}", base % 100_000_000);
    let digits: Vec<u32> = format!("80840{body}")
        .chars()
        .map(|c| c.to_digit(10).expect("digit"))
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                *d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// True when `npi` has a valid check digit.
pub fn is_valid_npi(npi: &str) -> bool {
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = format!("80840{npi}")
        .chars()
        .map(|c| c.to_digit(10).expect("digit"))
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                *d
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npis_carry_a_valid_check_digit() {
        // CMS's published example: 123456789 → check digit 3.
        assert!(is_valid_npi("1234567893"));
        assert!(!is_valid_npi("1234567890"));
        for base in [0, 7, 12_345, 99_999_999] {
            let generated = npi(base);
            assert_eq!(generated.len(), 10);
            assert!(is_valid_npi(&generated), "{generated}");
        }
    }

    #[test]
    fn tables_have_no_duplicate_codes() {
        for table in [
            DIAGNOSES,
            INPATIENT_DIAGNOSES,
            PROCEDURES,
            PROFESSIONAL_SERVICES,
            DME_ITEMS,
            DRUGS,
            DRGS,
            PLACES_OF_SERVICE,
        ] {
            let mut codes: Vec<&str> = table.iter().map(|(c, _)| *c).collect();
            codes.sort();
            let len = codes.len();
            codes.dedup();
            assert_eq!(codes.len(), len);
        }
        assert!(DRUGS.iter().all(|(ndc, _)| ndc.len() == 11));
    }
}
