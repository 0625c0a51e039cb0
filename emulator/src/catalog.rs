//! The models the emulator knows by id, and what Bedrock does with each in a region: stream it,
//! refuse it as end-of-life, refuse a bare id served only through inference profiles, or not
//! know it. Facts from Bedrock's model cards and lifecycle pages and /work/shared/reference.md,
//! read 2026-11-29; they expire as models move through their lifecycle.

use crate::fault::ErrorResponse;

/// How the emulator treats model ids (`EmulatorConfig::models`, `--models`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Models {
    /// Every model id streams, so tests and demos can use any id in any region; the ids the
    /// catalog knows still behave like their model (thinking by default, refusing `temperature`
    /// with `topP`).
    #[default]
    Any,
    /// Ids are answered the way Bedrock answers them in the request's region (the SigV4
    /// credential scope): end-of-life models get `404 ResourceNotFoundException`, bare ids of
    /// profile-only models `400 ValidationException` (on-demand throughput isn’t supported), a
    /// geographic profile called from outside its geography and any id the catalog does not know
    /// `400 ValidationException` "The provided model identifier is invalid.".
    Strict,
}

impl std::str::FromStr for Models {
    type Err = String;

    /// `any` or `strict`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "any" => Ok(Self::Any),
            "strict" => Ok(Self::Strict),
            _ => Err(format!("{s:?} is neither \"any\" nor \"strict\"")),
        }
    }
}

/// Where a model can be called (the catalog's models are all served through their profiles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lifecycle {
    /// Served only through inference profiles; the bare id is refused.
    ProfileOnly,
    /// Past its end-of-life date except in the listed regions (Active or Legacy there).
    EndOfLife { served_in: &'static [&'static str] },
}

/// One foundation model, by its bare id.
struct Entry {
    id: &'static str,
    lifecycle: Lifecycle,
    /// The system-defined inference profiles that contain it, by prefix (`us.`, `eu.`, …).
    profiles: &'static [&'static str],
    /// Streams reasoning before its answer unless the request turns thinking off.
    thinks_by_default: bool,
    /// Refuses a request that sets both `temperature` and `topP`.
    one_sampling_setting: bool,
}

const CATALOG: [Entry; 4] = [
    // Claude 3 Haiku: end of life 2026-09-10 in most regions, us-east-1 and us-west-2 included;
    // still served in ca-central-1, eu-central-2 and sa-east-1, Legacy in ap-northeast-2 (model
    // card, read 2026-11-29).
    Entry {
        id: "anthropic.claude-3-haiku-20240307-v1:0",
        lifecycle: Lifecycle::EndOfLife { served_in: &["ca-central-1", "eu-central-2", "sa-east-1", "ap-northeast-2"] },
        profiles: &["us.", "eu.", "apac."],
        thinks_by_default: false,
        one_sampling_setting: false,
    },
    // Claude 3.5 Haiku: end of life 2026-06-19 everywhere, profiles included (model card, read
    // 2026-11-29).
    Entry {
        id: "anthropic.claude-3-5-haiku-20241022-v1:0",
        lifecycle: Lifecycle::EndOfLife { served_in: &[] },
        profiles: &["us."],
        thinks_by_default: false,
        one_sampling_setting: false,
    },
    // Claude Haiku 4.5 (launched 2025-10-16): through the us., eu. and global. profiles only;
    // refuses temperature with top_p (model card; the refusal quoted in
    // github.com/aws-samples/bedrock-access-gateway issue 191, read 2026-11-29).
    Entry {
        id: "anthropic.claude-haiku-4-5-20251001-v1:0",
        lifecycle: Lifecycle::ProfileOnly,
        profiles: &["us.", "eu.", "global."],
        thinks_by_default: false,
        one_sampling_setting: true,
    },
    // Claude Haiku 5.5 (launched 2026-10-07, end of life no sooner than 2027-10-07): ids without a
    // date suffix, adaptive thinking on by default (Bedrock model card
    // docs.aws.amazon.com/bedrock/latest/userguide/model-card-anthropic-claude-haiku-5-5.html, read
    // 2026-12-07). Through inference profiles only: global. and the us., eu., au. and jp.
    // geographies. The card's profile table was not in what could be read of it here; the list is
    // AWS's launch material as summarised in takech9203/aws-news-summary (2026-10-07, read
    // 2026-12-07), and the inference-profile support page now defers to each model's card.
    Entry {
        id: "anthropic.claude-haiku-5-5",
        lifecycle: Lifecycle::ProfileOnly,
        profiles: &["us.", "eu.", "au.", "jp.", "global."],
        thinks_by_default: true,
        one_sampling_setting: true,
    },
];

/// The inference profile prefixes and their source regions, by region prefix (`global.` routes
/// from any region). `au.` is called from Sydney, Melbourne and Auckland, `jp.` from Tokyo and Osaka
/// (AWS's Haiku 5.5 launch summary above; saipien.org "Amazon Bedrock in Auckland", read
/// 2026-12-07); `apac.` from the other Asia-Pacific regions too.
const GEOGRAPHIES: [(&str, &[&str]); 6] = [
    ("us.", &["us-"]),
    ("eu.", &["eu-"]),
    ("apac.", &["ap-"]),
    ("au.", &["ap-southeast-2", "ap-southeast-4", "ap-southeast-6"]),
    ("jp.", &["ap-northeast-1", "ap-northeast-3"]),
    ("global.", &[""]),
];

/// What a known model does with an accepted request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Behaviour {
    pub thinks_by_default: bool,
    pub one_sampling_setting: bool,
}

/// The id's behaviour, or Bedrock's refusal of it in `region` when `models` is strict. ARNs
/// (`arn:aws:bedrock:…:foundation-model/ID`, `…:inference-profile/ID`) are read by their last
/// path segment; an id the catalog does not know behaves like a plain model.
pub(crate) fn resolve(model_id: &str, region: &str, models: Models) -> Result<Behaviour, ErrorResponse> {
    let id = model_id.rsplit('/').next().unwrap_or(model_id);
    let (profile, bare) = GEOGRAPHIES
        .iter()
        .find_map(|&(prefix, regions)| id.strip_prefix(prefix).map(|bare| (Some((prefix, regions)), bare)))
        .unwrap_or((None, id));
    let entry = CATALOG.iter().find(|entry| entry.id == bare);
    let behaviour = entry.map_or_else(Behaviour::default, |entry| Behaviour {
        thinks_by_default: entry.thinks_by_default,
        one_sampling_setting: entry.one_sampling_setting,
    });
    if models == Models::Any {
        return Ok(behaviour);
    }
    let invalid = || ErrorResponse::validation("The provided model identifier is invalid.");
    let Some(entry) = entry else { return Err(invalid()) };
    if let Some((prefix, regions)) = profile
        && (!entry.profiles.contains(&prefix) || !regions.iter().any(|r| region.starts_with(r)))
    {
        return Err(invalid());
    }
    match entry.lifecycle {
        Lifecycle::EndOfLife { served_in } if !served_in.contains(&region) => Err(ErrorResponse::end_of_life()),
        Lifecycle::ProfileOnly if profile.is_none() => Err(ErrorResponse::on_demand_not_supported(model_id)),
        _ => Ok(behaviour),
    }
}

/// Bedrock's refusal of `temperature` together with `topP` by the models that take only one
/// (the model's own error, relayed: github.com/aws-samples/bedrock-access-gateway issue 191).
pub(crate) fn both_sampling_settings() -> ErrorResponse {
    ErrorResponse::validation(
        "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. \
         Please use only one.",
    )
}

/// The region of a SigV4 `Authorization` header's credential scope
/// (`AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/bedrock/aws4_request, …`).
pub(crate) fn signing_region(authorization: &str) -> Option<&str> {
    let credential = authorization.split_once("Credential=")?.1;
    let scope = credential.split([',', ' ']).next()?;
    let region = scope.split('/').nth(2)?;
    (!region.is_empty()).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HAIKU_3: &str = "anthropic.claude-3-haiku-20240307-v1:0";
    const HAIKU_5_5: &str = "anthropic.claude-haiku-5-5";

    fn strict(id: &str, region: &str) -> Result<Behaviour, (u16, &'static str, String)> {
        resolve(id, region, Models::Strict).map_err(|e| (e.status, e.error_type, e.message))
    }

    #[test]
    fn any_mode_streams_every_id_but_keeps_what_known_models_do() {
        assert_eq!(resolve(HAIKU_3, "us-east-1", Models::Any), Ok(Behaviour::default()));
        assert_eq!(resolve("made.up-model", "us-east-1", Models::Any), Ok(Behaviour::default()));
        let haiku_5_5 = resolve(HAIKU_5_5, "us-east-1", Models::Any).unwrap();
        assert!(haiku_5_5.thinks_by_default && haiku_5_5.one_sampling_setting);
    }

    #[test]
    fn claude_3_haiku_is_end_of_life_except_where_it_is_still_served() {
        for region in ["us-east-1", "us-west-2", "eu-west-1"] {
            let (status, error_type, message) = strict(HAIKU_3, region).unwrap_err();
            assert_eq!((status, error_type), (404, "ResourceNotFoundException"), "{region}");
            assert!(message.starts_with("This model version has reached the end of its life."));
        }
        for region in ["ca-central-1", "eu-central-2", "sa-east-1"] {
            assert!(strict(HAIKU_3, region).is_ok(), "{region}");
        }
    }

    #[test]
    fn claude_3_5_haiku_is_end_of_life_bare_and_through_its_profile() {
        assert_eq!(strict("anthropic.claude-3-5-haiku-20241022-v1:0", "us-east-1").unwrap_err().0, 404);
        assert_eq!(strict("us.anthropic.claude-3-5-haiku-20241022-v1:0", "us-east-1").unwrap_err().0, 404);
    }

    #[test]
    fn profile_only_models_refuse_their_bare_id_and_serve_their_profiles() {
        let (status, _, message) = strict("anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1").unwrap_err();
        assert_eq!(status, 400);
        assert_eq!(
            message,
            "Invocation of model ID anthropic.claude-haiku-4-5-20251001-v1:0 with on-demand throughput isn’t \
             supported. Retry your request with the ID or ARN of an inference profile that contains this model."
        );
        assert!(strict("us.anthropic.claude-haiku-4-5-20251001-v1:0", "us-west-2").is_ok());
        assert!(strict("eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-west-1").is_ok());
        assert!(strict("global.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-southeast-2").is_ok());
        assert!(strict("us.anthropic.claude-haiku-5-5", "us-east-1").unwrap().thinks_by_default);
        assert!(strict("global.anthropic.claude-haiku-5-5", "eu-west-1").is_ok());
        assert_eq!(strict(HAIKU_5_5, "us-east-1").unwrap_err().0, 400);
    }

    #[test]
    fn claude_haiku_5_5_has_the_geography_profiles_its_launch_lists() {
        for (id, region) in [
            ("us.anthropic.claude-haiku-5-5", "us-west-2"),
            ("eu.anthropic.claude-haiku-5-5", "eu-west-1"),
            ("au.anthropic.claude-haiku-5-5", "ap-southeast-2"),
            ("au.anthropic.claude-haiku-5-5", "ap-southeast-4"),
            ("jp.anthropic.claude-haiku-5-5", "ap-northeast-1"),
            ("jp.anthropic.claude-haiku-5-5", "ap-northeast-3"),
            ("global.anthropic.claude-haiku-5-5", "sa-east-1"),
        ] {
            assert!(strict(id, region).unwrap().thinks_by_default, "{id} from {region}");
        }
        let invalid = (400, "ValidationException", "The provided model identifier is invalid.".to_owned());
        assert_eq!(
            strict("apac.anthropic.claude-haiku-5-5", "ap-northeast-1").unwrap_err(),
            invalid,
            "no apac. profile"
        );
        assert_eq!(
            strict("jp.anthropic.claude-haiku-5-5", "ap-southeast-2").unwrap_err(),
            invalid,
            "jp. from outside Japan"
        );
        assert_eq!(
            strict("au.anthropic.claude-haiku-5-5", "ap-northeast-1").unwrap_err(),
            invalid,
            "au. from outside Australia"
        );
    }

    #[test]
    fn the_handler_s_default_model_is_served_from_the_shipped_stacks_regions_only() {
        // config/default.toml's model_id, as the handler embeds it.
        let default = include_str!("../../config/default.toml")
            .lines()
            .find_map(|line| line.strip_prefix("model_id = "))
            .map(|value| value.trim_matches('"'))
            .unwrap();
        assert_eq!(default, "us.anthropic.claude-haiku-5-5");
        for region in ["us-east-1", "us-west-2"] {
            assert!(strict(default, region).unwrap().thinks_by_default, "{region}");
        }
        assert_eq!(strict(default, "eu-west-1").unwrap_err().0, 400, "the us. profile from outside the US");
    }

    #[test]
    fn unknown_ids_and_profiles_outside_their_geography_are_invalid_identifiers() {
        let invalid = (400, "ValidationException", "The provided model identifier is invalid.".to_owned());
        assert_eq!(strict("anthropic.claude-nonexistent", "us-east-1").unwrap_err(), invalid);
        assert_eq!(strict("eu.anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1").unwrap_err(), invalid);
        assert_eq!(
            strict("eu.anthropic.claude-haiku-5-5", "us-east-1").unwrap_err(),
            invalid,
            "eu. from outside Europe"
        );
    }

    #[test]
    fn arns_are_read_by_their_last_segment() {
        let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-5-5";
        assert!(strict(arn, "us-east-1").is_ok());
        let foundation = format!("arn:aws:bedrock:sa-east-1::foundation-model/{HAIKU_3}");
        assert!(strict(&foundation, "sa-east-1").is_ok());
    }

    #[test]
    fn the_region_is_the_credential_scopes_third_part() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261129/eu-central-2/bedrock/aws4_request, \
                      SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(signing_region(header), Some("eu-central-2"));
        assert_eq!(signing_region("Bearer token"), None);
    }
}
