//! A stand-in for CloudWatch's `DescribeAlarms` (the Query protocol: a form-encoded `POST /` with
//! `Action=DescribeAlarms`, answered in XML), so the handler's daily-budget check can be driven
//! offline through `AWS_ENDPOINT_URL_CLOUDWATCH`. Each alarm's state is what a test set
//! ([`crate::Emulator::set_alarm_state`]); an alarm never set is not found, as CloudWatch answers
//! a name it does not have (an empty `MetricAlarms`). Shapes: CloudWatch API reference,
//! DescribeAlarms (request parameters `AlarmNames.member.N`; response `MetricAlarms` members with
//! `AlarmName` and `StateValue`), read 2026-12-07.

use std::collections::HashMap;

/// Whether a request body is a `DescribeAlarms` call.
pub(crate) fn is_describe_alarms(form: &[u8]) -> bool {
    pairs(form).any(|(k, v)| k == "Action" && v == "DescribeAlarms")
}

/// The XML answer to `form` given the alarms' states by name.
pub(crate) fn describe_alarms(form: &[u8], states: &HashMap<String, String>) -> String {
    let members: String = pairs(form)
        .filter(|(k, _)| k.starts_with("AlarmNames.member."))
        .filter_map(|(_, name)| states.get(&name).map(|state| (name, state)))
        .map(|(name, state)| {
            format!("<member><AlarmName>{}</AlarmName><StateValue>{state}</StateValue></member>", escape(&name))
        })
        .collect();
    format!(
        "<DescribeAlarmsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><DescribeAlarmsResult>\
         <MetricAlarms>{members}</MetricAlarms><CompositeAlarms/></DescribeAlarmsResult>\
         <ResponseMetadata><RequestId>emulated</RequestId></ResponseMetadata></DescribeAlarmsResponse>"
    )
}

/// The form's `key=value` pairs, percent-decoded (`+` is a space).
fn pairs(form: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    form.split(|b| *b == b'&').filter_map(|pair| {
        let text = std::str::from_utf8(pair).ok()?;
        let (key, value) = text.split_once('=')?;
        Some((decode(key)?, decode(value)?))
    })
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alarm_set_is_described_and_one_never_set_is_not_found() {
        let states = HashMap::from([("fn-daily-budget".to_owned(), "ALARM".to_owned())]);
        let form = b"Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=fn-daily-budget";
        assert!(is_describe_alarms(form));
        let xml = describe_alarms(form, &states);
        assert!(xml.contains("<member><AlarmName>fn-daily-budget</AlarmName><StateValue>ALARM</StateValue></member>"));
        let none = describe_alarms(b"Action=DescribeAlarms&AlarmNames.member.1=other", &states);
        assert!(none.contains("<MetricAlarms></MetricAlarms>"));
        assert!(!is_describe_alarms(b"Action=PutMetricData"));
    }
}
