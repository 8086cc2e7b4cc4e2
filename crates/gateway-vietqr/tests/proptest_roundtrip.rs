//! proptest: encode then decode returns the input, over generated valid VietQR values (the
//! hand-rolled generator of `tests/property.rs` stays; this one shrinks a failure to a minimal case).

use gateway_vietqr::{decode, strip_diacritics, Initiation, Service, VietQr, MAX_ACCOUNT_NUMBER_LEN, MAX_AMOUNT};
use proptest::prelude::*;

/// What a caller gives the builder.
#[derive(Debug, Clone)]
struct Input {
    bin: String,
    account_number: String,
    service: Service,
    amount: Option<u64>,
    dynamic_without_amount: bool,
    purpose: Option<String>,
}

fn input() -> impl Strategy<Value = Input> {
    let account = proptest::string::string_regex(&format!("[0-9A-Za-z]{{1,{MAX_ACCOUNT_NUMBER_LEN}}}")).unwrap();
    let purpose = prop_oneof![
        Just(None),
        // Printable ASCII up to the limit, as written.
        "[ -~]{0,95}".prop_map(Some),
        // Vietnamese with diacritics: stripped by the builder (one ASCII byte per letter).
        "[a-zA-Z0-9 ăâđêôơưáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữựÁĐẾỨ]{0,60}".prop_map(Some),
    ];
    (
        "[0-9]{6}",
        account,
        prop_oneof![Just(Service::ToAccount), Just(Service::ToCard)],
        prop_oneof![
            Just(None),
            (1..=MAX_AMOUNT).prop_map(Some),
            (1u64..1_000_000).prop_map(Some)
        ],
        any::<bool>(),
        purpose,
    )
        .prop_map(
            |(bin, account_number, service, amount, dynamic_without_amount, purpose)| Input {
                bin,
                account_number,
                service,
                amount,
                dynamic_without_amount,
                purpose,
            },
        )
}

fn build(input: &Input) -> VietQr {
    let mut builder = VietQr::builder(&input.bin, &input.account_number).service(input.service);
    if let Some(amount) = input.amount {
        builder = builder.amount(amount);
    } else if input.dynamic_without_amount {
        builder = builder.initiation(Initiation::Dynamic);
    }
    if let Some(purpose) = &input.purpose {
        builder = builder.purpose(purpose);
    }
    builder.build().expect("a valid input builds")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn decode_of_encode_is_the_input(input in input()) {
        let qr = build(&input);
        prop_assert_eq!(qr.bin(), input.bin.as_str());
        prop_assert_eq!(qr.account_number(), input.account_number.as_str());
        prop_assert_eq!(qr.service(), input.service);
        prop_assert_eq!(qr.amount(), input.amount);
        let expected_purpose = input.purpose.as_deref().map(strip_diacritics).filter(|p| !p.is_empty());
        prop_assert_eq!(qr.purpose(), expected_purpose.as_deref());

        let text = qr.encode().unwrap();
        prop_assert!(text.is_ascii());
        prop_assert_eq!(decode(&text), Ok(qr.clone()));
        // Canonical: encoding what was decoded gives the same string.
        prop_assert_eq!(decode(&text).unwrap().encode().unwrap(), text);
    }
}
