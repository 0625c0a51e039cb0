//! The service tier per model alias (`models.<alias>.serviceTier`): which of Bedrock's processing
//! tiers a request asks for, sent as ConverseStream's `serviceTier.type`, and the tier Bedrock
//! says served it (the stream's `metadata.serviceTier`), echoed in `usage`.
//!
//! Bedrock's tiers (API reference, `ServiceTier`, read 2026-12-07: `priority | default | flex |
//! reserved`; user guide "Service tiers for optimizing performance and cost"): `default` is the
//! standard tier, `priority` costs more and is served ahead of it, `flex` costs less and may wait.
//! `reserved` needs capacity bought ahead and is not offered as a setting; Bedrock may still
//! name it as the tier that served a request. Not every model serves every tier: the preview
//! warns where a model serves only the standard one (config/bedrock-models.json).

use serde::Serialize;

/// A Bedrock service tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceTier {
    Default,
    Priority,
    Flex,
    /// Only ever echoed: a stack cannot ask for it.
    Reserved,
}

/// The tiers a model alias may ask for, as `serviceTier` spells them.
pub const SETTABLE: [ServiceTier; 3] = [ServiceTier::Default, ServiceTier::Priority, ServiceTier::Flex];

impl ServiceTier {
    /// The tier's name, as ConverseStream writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceTier::Default => "default",
            ServiceTier::Priority => "priority",
            ServiceTier::Flex => "flex",
            ServiceTier::Reserved => "reserved",
        }
    }

    /// Any tier Bedrock names, settable or not; `None` for a name this version does not know.
    pub fn from_name(name: &str) -> Option<ServiceTier> {
        [ServiceTier::Default, ServiceTier::Priority, ServiceTier::Flex, ServiceTier::Reserved]
            .into_iter()
            .find(|tier| tier.as_str() == name)
    }

    /// A tier a stack may set: `default`, `priority` or `flex`.
    pub fn settable(name: &str) -> Option<ServiceTier> {
        SETTABLE.into_iter().find(|tier| tier.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_sets_three_tiers_and_bedrock_may_name_a_fourth() {
        assert_eq!(ServiceTier::settable("flex"), Some(ServiceTier::Flex));
        assert_eq!(ServiceTier::settable("reserved"), None, "reserved needs capacity bought ahead");
        assert_eq!(ServiceTier::settable("Priority"), None, "spelled as Bedrock spells it");
        assert_eq!(ServiceTier::from_name("reserved"), Some(ServiceTier::Reserved));
        assert_eq!(ServiceTier::from_name("turbo"), None);
        assert_eq!(serde_json::to_value(ServiceTier::Priority).unwrap(), "priority");
    }
}
