//! The runtime half of the translation: SQLite scalar functions that give translated queries
//! Databricks semantics (date functions, ANSI casts, decimal division, INTERVAL arithmetic,
//! regular expressions). Registered on every connection by [`register`].
//!
//! Dates and timestamps travel as canonical text (`2024-01-31`, `2024-01-31 10:00:00`; see
//! `sim::data::timestamp_text`). A failing function reports `[ERROR_CLASS] message`, which the
//! engine turns back into a `SqlError`.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use regex::Regex;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Error};

use crate::sim::data::{date_text, timestamp_text};

/// An error raised inside a function, carrying its Databricks error class.
#[derive(Debug)]
struct FunctionError(String);

impl std::fmt::Display for FunctionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FunctionError {}

fn fail(class: &str, message: &str) -> Error {
    Error::UserFunctionError(Box::new(FunctionError(format!("[{class}] {message}"))))
}

type FnResult = rusqlite::Result<Value>;

/// One registered scalar function.
type ScalarFn = fn(&Context<'_>) -> FnResult;

/// Registers every function on a connection.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let scalar: &[(&str, i32, ScalarFn)] = &[
        ("date_trunc", 2, date_trunc),
        ("add_months", 2, add_months),
        ("datediff", 2, datediff),
        ("date_add", 2, date_add),
        ("date_sub", 2, date_sub),
        ("date_format", 2, date_format),
        ("year", 1, |ctx| date_part(ctx, |t| t.year() as i64)),
        ("month", 1, |ctx| date_part(ctx, |t| t.month() as i64)),
        ("day", 1, |ctx| date_part(ctx, |t| t.day() as i64)),
        ("dayofmonth", 1, |ctx| date_part(ctx, |t| t.day() as i64)),
        ("quarter", 1, |ctx| {
            date_part(ctx, |t| t.month0() as i64 / 3 + 1)
        }),
        ("dayofweek", 1, |ctx| {
            date_part(ctx, |t| t.weekday().number_from_sunday() as i64)
        }),
        ("dayofyear", 1, |ctx| date_part(ctx, |t| t.ordinal() as i64)),
        ("weekofyear", 1, |ctx| {
            date_part(ctx, |t| t.iso_week().week() as i64)
        }),
        ("hour", 1, |ctx| date_part(ctx, |t| t.hour() as i64)),
        ("minute", 1, |ctx| date_part(ctx, |t| t.minute() as i64)),
        ("second", 1, |ctx| date_part(ctx, |t| t.second() as i64)),
        ("last_day", 1, last_day),
        ("to_date", 1, |ctx| cast_value(ctx, 0, "DATE", true)),
        ("to_timestamp", 1, |ctx| {
            cast_value(ctx, 0, "TIMESTAMP", true)
        }),
        ("make_date", 3, make_date),
        ("dbx_cast", 3, dbx_cast),
        ("dbx_div", 2, |ctx| divide(ctx, true)),
        ("try_divide", 2, |ctx| divide(ctx, false)),
        ("dbx_mod", 2, modulo),
        ("dbx_add_interval", 3, add_interval),
        ("greatest", -1, |ctx| {
            extreme(ctx, std::cmp::Ordering::Greater)
        }),
        ("least", -1, |ctx| extreme(ctx, std::cmp::Ordering::Less)),
        ("regexp", 2, regexp),
    ];
    for (name, arity, function) in scalar {
        conn.create_scalar_function(*name, *arity, flags, *function)?;
    }
    Ok(())
}

/// Parses canonical or ISO text (`2024-01-31`, `2024-01-31 10:00:00[.123]`, `…T…Z`).
pub fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim().trim_end_matches('Z');
    let head = text.get(..10)?;
    let date = NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
    let rest = text.get(10..)?.trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return date.and_hms_opt(0, 0, 0);
    }
    let time = NaiveTime::parse_from_str(rest, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(rest, "%H:%M"))
        .ok()?;
    Some(date.and_time(time))
}

fn datetime_arg(ctx: &Context<'_>, index: usize) -> rusqlite::Result<Option<NaiveDateTime>> {
    match ctx.get_raw(index) {
        ValueRef::Null => Ok(None),
        ValueRef::Text(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            parse_datetime(&text).map(Some).ok_or_else(|| {
                fail(
                    "CAST_INVALID_INPUT",
                    &format!("The value '{text}' of the type \"STRING\" cannot be cast to \"DATE\" because it is malformed."),
                )
            })
        }
        _ => Err(fail(
            "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
            "A date function expects a DATE, TIMESTAMP or STRING argument but got a number.",
        )),
    }
}

fn int_arg(ctx: &Context<'_>, index: usize) -> rusqlite::Result<Option<i64>> {
    match ctx.get_raw(index) {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(value) => Ok(Some(value)),
        ValueRef::Real(value) => Ok(Some(value.trunc() as i64)),
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes)
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| fail("CAST_INVALID_INPUT", "Expected an integer argument.")),
        ValueRef::Blob(_) => Err(fail("DATATYPE_MISMATCH", "Expected an integer argument.")),
    }
}

fn text_arg(ctx: &Context<'_>, index: usize) -> Option<String> {
    match ctx.get_raw(index) {
        ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Integer(value) => Some(value.to_string()),
        ValueRef::Real(value) => Some(value.to_string()),
        _ => None,
    }
}

fn number_arg(ctx: &Context<'_>, index: usize) -> rusqlite::Result<Option<f64>> {
    match ctx.get_raw(index) {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(value) => Ok(Some(value as f64)),
        ValueRef::Real(value) => Ok(Some(value)),
        ValueRef::Text(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            text.trim().parse::<f64>().map(Some).map_err(|_| {
                fail(
                    "CAST_INVALID_INPUT",
                    &format!("The value '{text}' of the type \"STRING\" cannot be cast to \"DOUBLE\" because it is malformed."),
                )
            })
        }
        ValueRef::Blob(_) => Err(fail("DATATYPE_MISMATCH", "Expected a numeric argument.")),
    }
}

fn date_value(date: NaiveDate) -> Value {
    Value::Text(date_text(date))
}

fn timestamp_value(timestamp: NaiveDateTime) -> Value {
    Value::Text(timestamp_text(timestamp))
}

fn date_trunc(ctx: &Context<'_>) -> FnResult {
    let unit = text_arg(ctx, 0).unwrap_or_default().to_ascii_uppercase();
    let Some(t) = datetime_arg(ctx, 1)? else {
        return Ok(Value::Null);
    };
    let date = t.date();
    let truncated = match unit.as_str() {
        "YEAR" | "YYYY" | "YY" => NaiveDate::from_ymd_opt(date.year(), 1, 1).map(midnight),
        "QUARTER" => {
            NaiveDate::from_ymd_opt(date.year(), date.month0() / 3 * 3 + 1, 1).map(midnight)
        }
        "MONTH" | "MM" | "MON" => date.with_day(1).map(midnight),
        "WEEK" => Some(midnight(
            date - Duration::days(date.weekday().num_days_from_monday() as i64),
        )),
        "DAY" | "DD" => Some(midnight(date)),
        "HOUR" => t
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0)),
        "MINUTE" => t.with_second(0).and_then(|t| t.with_nanosecond(0)),
        "SECOND" => t.with_nanosecond(0),
        _ => return Ok(Value::Null),
    };
    Ok(truncated.map_or(Value::Null, timestamp_value))
}

fn midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN)
}

fn shift_months(date: NaiveDate, months: i64) -> Option<NaiveDate> {
    let count = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months >= 0 {
        date.checked_add_months(count)
    } else {
        date.checked_sub_months(count)
    }
}

fn add_months(ctx: &Context<'_>) -> FnResult {
    let (Some(t), Some(months)) = (datetime_arg(ctx, 0)?, int_arg(ctx, 1)?) else {
        return Ok(Value::Null);
    };
    Ok(shift_months(t.date(), months).map_or(Value::Null, date_value))
}

fn datediff(ctx: &Context<'_>) -> FnResult {
    let (Some(end), Some(start)) = (datetime_arg(ctx, 0)?, datetime_arg(ctx, 1)?) else {
        return Ok(Value::Null);
    };
    Ok(Value::Integer((end.date() - start.date()).num_days()))
}

fn date_add(ctx: &Context<'_>) -> FnResult {
    let (Some(t), Some(days)) = (datetime_arg(ctx, 0)?, int_arg(ctx, 1)?) else {
        return Ok(Value::Null);
    };
    Ok(date_value(t.date() + Duration::days(days)))
}

fn date_sub(ctx: &Context<'_>) -> FnResult {
    let (Some(t), Some(days)) = (datetime_arg(ctx, 0)?, int_arg(ctx, 1)?) else {
        return Ok(Value::Null);
    };
    Ok(date_value(t.date() - Duration::days(days)))
}

fn last_day(ctx: &Context<'_>) -> FnResult {
    let Some(t) = datetime_arg(ctx, 0)? else {
        return Ok(Value::Null);
    };
    let first = t.date().with_day(1);
    let last = first
        .and_then(|d| shift_months(d, 1))
        .map(|d| d - Duration::days(1));
    Ok(last.map_or(Value::Null, date_value))
}

fn make_date(ctx: &Context<'_>) -> FnResult {
    let (Some(y), Some(m), Some(d)) = (int_arg(ctx, 0)?, int_arg(ctx, 1)?, int_arg(ctx, 2)?) else {
        return Ok(Value::Null);
    };
    let date = NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32).ok_or_else(|| {
        fail(
            "DATETIME_FIELD_OUT_OF_BOUNDS",
            &format!("Invalid date {y}-{m}-{d}."),
        )
    })?;
    Ok(date_value(date))
}

fn date_part(ctx: &Context<'_>, part: fn(&NaiveDateTime) -> i64) -> FnResult {
    Ok(datetime_arg(ctx, 0)?.map_or(Value::Null, |t| Value::Integer(part(&t))))
}

fn date_format(ctx: &Context<'_>) -> FnResult {
    let Some(t) = datetime_arg(ctx, 0)? else {
        return Ok(Value::Null);
    };
    let pattern = text_arg(ctx, 1).unwrap_or_default();
    let chrono_pattern = java_to_chrono(&pattern)
        .map_err(|message| fail("INVALID_PARAMETER_VALUE.PATTERN", &message))?;
    Ok(Value::Text(t.format(&chrono_pattern).to_string()))
}

/// Translates a Java `DateTimeFormatter` pattern (the subset Genie writes) into chrono's.
pub fn java_to_chrono(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '\'')
                .map(|p| p + i + 1);
            let Some(end) = end else {
                return Err(format!("Unclosed quote in pattern '{pattern}'."));
            };
            out.extend(
                chars[i + 1..end]
                    .iter()
                    .map(|&x| {
                        if x == '%' {
                            "%%".to_string()
                        } else {
                            x.to_string()
                        }
                    })
                    .collect::<Vec<_>>(),
            );
            i = end + 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let piece = match (c, run) {
            ('y', 2) => "%y",
            ('y', _) => "%Y",
            ('M', 1) => "%-m",
            ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('L', 1) => "%-m",
            ('L', _) => "%m",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('D', _) => "%j",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('h', 1) => "%-I",
            ('h', _) => "%I",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('S', _) => "%3f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('%', _) => "%%",
            (c, _) if c.is_ascii_alphabetic() => {
                return Err(format!(
                    "Unsupported datetime pattern letter '{c}' in '{pattern}'."
                ));
            }
            _ => "",
        };
        if piece.is_empty() {
            out.extend(std::iter::repeat_n(c, run));
        } else {
            out.push_str(piece);
        }
        i += run;
    }
    Ok(out)
}

fn dbx_cast(ctx: &Context<'_>) -> FnResult {
    let target = text_arg(ctx, 1).unwrap_or_default();
    let strict = int_arg(ctx, 2)?.unwrap_or(1) != 0;
    cast_value(ctx, 0, &target, strict)
}

fn cast_value(ctx: &Context<'_>, index: usize, target: &str, strict: bool) -> FnResult {
    let value = ctx.get_raw(index);
    if matches!(value, ValueRef::Null) {
        return Ok(Value::Null);
    }
    match cast(value, target) {
        Ok(value) => Ok(value),
        Err(message) if strict => Err(fail("CAST_INVALID_INPUT", &message)),
        Err(_) => Ok(Value::Null),
    }
}

fn cast(value: ValueRef<'_>, target: &str) -> Result<Value, String> {
    let upper = target.to_ascii_uppercase();
    let base = upper.split('(').next().unwrap_or_default();
    let text = match value {
        ValueRef::Text(bytes) => Some(String::from_utf8_lossy(bytes).trim().to_string()),
        _ => None,
    };
    let malformed = |shown: &str| {
        format!(
            "The value '{shown}' of the type \"STRING\" cannot be cast to \"{upper}\" because it is malformed. Correct the value as per the syntax, or change its target type. Use `try_cast` to tolerate malformed input."
        )
    };
    match (base, value, text.as_deref()) {
        ("STRING", ValueRef::Integer(i), _) => Ok(Value::Text(i.to_string())),
        ("STRING", ValueRef::Real(r), _) => Ok(Value::Text(format_double(r))),
        ("STRING", _, Some(s)) => Ok(Value::Text(s.to_string())),
        ("INT" | "BIGINT" | "LONG", ValueRef::Integer(i), _) => Ok(Value::Integer(i)),
        ("INT" | "BIGINT" | "LONG", ValueRef::Real(r), _) => Ok(Value::Integer(r.trunc() as i64)),
        ("INT" | "BIGINT" | "LONG", _, Some(s)) => s
            .parse::<i64>()
            .or_else(|_| s.parse::<f64>().map(|f| f.trunc() as i64))
            .map(Value::Integer)
            .map_err(|_| malformed(s)),
        ("DOUBLE" | "FLOAT", ValueRef::Integer(i), _) => Ok(Value::Real(i as f64)),
        ("DOUBLE" | "FLOAT", ValueRef::Real(r), _) => Ok(Value::Real(r)),
        ("DOUBLE" | "FLOAT", _, Some(s)) => {
            s.parse::<f64>().map(Value::Real).map_err(|_| malformed(s))
        }
        ("DECIMAL", _, _) => cast_decimal(value, &upper, text.as_deref())
            .ok_or_else(|| malformed(text.as_deref().unwrap_or("?"))),
        ("DATE", _, Some(s)) => parse_datetime(s)
            .map(|t| date_value(t.date()))
            .ok_or_else(|| malformed(s)),
        ("TIMESTAMP", _, Some(s)) => parse_datetime(s)
            .map(timestamp_value)
            .ok_or_else(|| malformed(s)),
        ("BOOLEAN", ValueRef::Integer(i), _) => Ok(Value::Integer(i64::from(i != 0))),
        ("BOOLEAN", _, Some(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" => Ok(Value::Integer(1)),
            "false" | "f" | "no" | "n" | "0" => Ok(Value::Integer(0)),
            _ => Err(malformed(s)),
        },
        _ => Err(format!("Cannot cast this value to {upper}.")),
    }
}

fn cast_decimal(value: ValueRef<'_>, target: &str, text: Option<&str>) -> Option<Value> {
    let (precision, scale) = match crate::sim::catalog::DataType::parse(target)? {
        crate::sim::catalog::DataType::Decimal { precision, scale } => (precision, scale),
        _ => return None,
    };
    let number = match value {
        ValueRef::Integer(i) => i as f64,
        ValueRef::Real(r) => r,
        _ => text?.parse::<f64>().ok()?,
    };
    let factor = 10f64.powi(i32::from(scale));
    let rounded = (number * factor).round() / factor;
    let limit = 10f64.powi(i32::from(precision) - i32::from(scale));
    (rounded.abs() < limit).then_some(Value::Real(rounded))
}

/// Renders a double the way Databricks prints one: shortest form, `.0` on whole numbers.
pub fn format_double(value: f64) -> String {
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".into()
        } else if value > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let rounded: f64 = format!("{value:.12e}").parse().unwrap_or(value);
    let text = format!("{rounded}");
    if text.contains('.') || text.contains('e') {
        text
    } else {
        format!("{text}.0")
    }
}

fn divide(ctx: &Context<'_>, strict: bool) -> FnResult {
    let (Some(left), Some(right)) = (number_arg(ctx, 0)?, number_arg(ctx, 1)?) else {
        return Ok(Value::Null);
    };
    if right == 0.0 {
        if strict {
            return Err(fail(
                "DIVIDE_BY_ZERO",
                "Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead.",
            ));
        }
        return Ok(Value::Null);
    }
    Ok(Value::Real(left / right))
}

fn modulo(ctx: &Context<'_>) -> FnResult {
    match (ctx.get_raw(0), ctx.get_raw(1)) {
        (ValueRef::Integer(_), ValueRef::Integer(0)) => {
            Err(fail("DIVIDE_BY_ZERO", "Division by zero in `%`."))
        }
        (ValueRef::Integer(a), ValueRef::Integer(b)) => Ok(Value::Integer(a % b)),
        _ => match (number_arg(ctx, 0)?, number_arg(ctx, 1)?) {
            (Some(_), Some(0.0)) => Err(fail("DIVIDE_BY_ZERO", "Division by zero in `%`.")),
            (Some(a), Some(b)) => Ok(Value::Real(a % b)),
            _ => Ok(Value::Null),
        },
    }
}

/// `value ± INTERVAL amount unit`: dates stay dates for day-or-longer units.
fn add_interval(ctx: &Context<'_>) -> FnResult {
    let raw_is_date = matches!(ctx.get_raw(0), ValueRef::Text(bytes) if bytes.len() == 10);
    let (Some(t), Some(amount)) = (datetime_arg(ctx, 0)?, int_arg(ctx, 1)?) else {
        return Ok(Value::Null);
    };
    let unit = text_arg(ctx, 2).unwrap_or_default();
    let shifted = match unit.as_str() {
        "YEAR" => shift_months(t.date(), amount * 12).map(|d| d.and_time(t.time())),
        "MONTH" => shift_months(t.date(), amount).map(|d| d.and_time(t.time())),
        "WEEK" => Some(t + Duration::weeks(amount)),
        "DAY" => Some(t + Duration::days(amount)),
        "HOUR" => Some(t + Duration::hours(amount)),
        "MINUTE" => Some(t + Duration::minutes(amount)),
        "SECOND" => Some(t + Duration::seconds(amount)),
        other => {
            return Err(fail(
                "UNSUPPORTED_FEATURE",
                &format!("INTERVAL unit {other} is not supported."),
            ));
        }
    };
    let Some(shifted) = shifted else {
        return Ok(Value::Null);
    };
    let day_unit = matches!(unit.as_str(), "YEAR" | "MONTH" | "WEEK" | "DAY");
    Ok(if raw_is_date && day_unit {
        date_value(shifted.date())
    } else {
        timestamp_value(shifted)
    })
}

/// `greatest`/`least`: NULLs are skipped, as in Databricks.
fn extreme(ctx: &Context<'_>, wanted: std::cmp::Ordering) -> FnResult {
    let mut best: Option<Value> = None;
    for index in 0..ctx.len() {
        let candidate = Value::try_from(ctx.get_raw(index)).unwrap_or(Value::Null);
        if matches!(candidate, Value::Null) {
            continue;
        }
        let replace = match &best {
            None => true,
            Some(current) => compare(&candidate, current) == Some(wanted),
        };
        if replace {
            best = Some(candidate);
        }
    }
    Ok(best.unwrap_or(Value::Null))
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    let number = |v: &Value| match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Real(r) => Some(*r),
        _ => None,
    };
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        _ => number(a)?.partial_cmp(&number(b)?),
    }
}

/// `text REGEXP pattern` (SQLite calls `regexp(pattern, text)`), Java-like find semantics.
fn regexp(ctx: &Context<'_>) -> FnResult {
    let (Some(_), Some(text)) = (text_arg(ctx, 0), text_arg(ctx, 1)) else {
        return Ok(Value::Null);
    };
    let regex: std::sync::Arc<Regex> = ctx.get_or_create_aux(0, |value| {
        let pattern = match value {
            ValueRef::Text(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        };
        Regex::new(&pattern)
            .map_err(|error| fail("INVALID_PARAMETER_VALUE.PATTERN", &error.to_string()))
    })?;
    Ok(Value::Integer(i64::from(regex.is_match(&text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_patterns_become_chrono_patterns() {
        assert_eq!(java_to_chrono("yyyy-MM").unwrap(), "%Y-%m");
        assert_eq!(java_to_chrono("MMM d, yyyy").unwrap(), "%b %-d, %Y");
        assert_eq!(java_to_chrono("yyyy 'Q'").unwrap(), "%Y Q");
        assert!(java_to_chrono("QQ").is_err());
    }

    #[test]
    fn doubles_print_without_float_noise() {
        assert_eq!(format_double(3.0), "3.0");
        assert_eq!(format_double(0.1 + 0.2), "0.3");
        assert_eq!(format_double(1234.5), "1234.5");
    }

    #[test]
    fn iso_and_canonical_timestamps_parse() {
        assert!(parse_datetime("2024-01-31").is_some());
        assert!(parse_datetime("2024-01-31T10:00:00.000Z").is_some());
        assert!(parse_datetime("2024-01-31 10:00:00").is_some());
        assert!(parse_datetime("31/01/2024").is_none());
    }
}
