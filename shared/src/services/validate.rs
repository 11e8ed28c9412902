//! Request validation that lists every problem, in the contract's style
//! (`[ERROR][REQUEST][POST /teledossiers/v1/folders @body.applicant] …`).

use serde_json::{Map, Value};

/// A file as a request declares it, before its bytes arrive.
#[derive(Clone, Debug)]
pub struct FileMeta {
    pub file_name: String,
    pub attachment_type: String,
    pub size: u64,
    pub mime_type: String,
}

/// Walks a JSON body, collecting one line per problem.
pub struct Checker<'a> {
    line: &'a str,
    pub problems: Vec<String>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl<'a> Checker<'a> {
    /// `line` is `METHOD /path`.
    pub fn new(line: &'a str) -> Self {
        Self { line, problems: Vec::new() }
    }

    pub fn problem(&mut self, at: &str, message: impl std::fmt::Display) {
        self.problems.push(format!("[ERROR][REQUEST][{} @body{at}] {message}", self.line));
    }

    fn wrong_type(&mut self, at: &str, v: &Value, allowed: &str) {
        self.problem(
            at,
            format!(
                "Instance type ({}) does not match any allowed primitive type (allowed: [\"{allowed}\"])",
                type_name(v)
            ),
        );
    }

    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The body itself, which must be an object.
    pub fn root<'v>(&mut self, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.wrong_type("", other, "object");
                None
            }
        }
    }

    fn field<'v>(&mut self, obj: &'v Map<String, Value>, at: &str, name: &str, required: bool) -> Option<&'v Value> {
        match obj.get(name) {
            None | Some(Value::Null) if required => {
                self.problem(at, format!("Object has missing required properties ([\"{name}\"])"));
                None
            }
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    pub fn object<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        at: &str,
        name: &str,
        required: bool,
    ) -> Option<&'v Map<String, Value>> {
        match self.field(obj, at, name, required)? {
            Value::Object(m) => Some(m),
            other => {
                self.wrong_type(&format!("{at}.{name}"), other, "object");
                None
            }
        }
    }

    /// A string of at most `max` characters (and at least one when required).
    pub fn string(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        name: &str,
        required: bool,
        max: usize,
    ) -> Option<String> {
        let here = format!("{at}.{name}");
        match self.field(obj, at, name, required)? {
            Value::String(s) => {
                let len = s.chars().count();
                if len > max {
                    self.problem(&here, format!("String is too long (length: {len}, maximum allowed: {max})"));
                    None
                } else if required && s.trim().is_empty() {
                    self.problem(&here, "String is empty");
                    None
                } else {
                    Some(s.clone())
                }
            }
            other => {
                self.wrong_type(&here, other, "string");
                None
            }
        }
    }

    pub fn unsigned(&mut self, obj: &Map<String, Value>, at: &str, name: &str, required: bool) -> Option<u64> {
        let here = format!("{at}.{name}");
        match self.field(obj, at, name, required)? {
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            Value::Number(_) => {
                self.problem(
                    &here,
                    "Numeric instance is lower than the required minimum (minimum: 0) or not an integer",
                );
                None
            }
            other => {
                self.wrong_type(&here, other, "integer");
                None
            }
        }
    }

    pub fn boolean(&mut self, obj: &Map<String, Value>, at: &str, name: &str, required: bool) -> Option<bool> {
        match self.field(obj, at, name, required)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(&format!("{at}.{name}"), other, "boolean");
                None
            }
        }
    }

    /// An array of at most `max` strings of at most `max_len` characters each.
    pub fn strings(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        name: &str,
        max: usize,
        max_len: usize,
    ) -> Option<Vec<String>> {
        let items = self.array(obj, at, name, 0, max)?;
        let mut out = Vec::new();
        for (i, v) in items.iter().enumerate() {
            match v {
                Value::String(s) if s.chars().count() <= max_len && !s.trim().is_empty() => out.push(s.clone()),
                Value::String(_) => {
                    self.problem(&format!("{at}.{name}[{i}]"), format!("String is empty or longer than {max_len}"));
                }
                other => self.wrong_type(&format!("{at}.{name}[{i}]"), other, "string"),
            }
        }
        (out.len() == items.len()).then_some(out)
    }

    /// Refuses the properties of `obj` not in `allowed`, as a schema without additional
    /// properties does.
    pub fn only(&mut self, obj: &Map<String, Value>, at: &str, allowed: &[&str]) {
        let unknown: Vec<&str> = obj.keys().map(String::as_str).filter(|k| !allowed.contains(k)).collect();
        if !unknown.is_empty() {
            self.problem(
                at,
                format!("Object instance has properties which are not allowed by the schema: {unknown:?}"),
            );
        }
    }

    /// An array of at least `min` and at most `max` items.
    pub fn array<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        at: &str,
        name: &str,
        min: usize,
        max: usize,
    ) -> Option<&'v Vec<Value>> {
        let here = format!("{at}.{name}");
        match self.field(obj, at, name, min > 0)? {
            Value::Array(items) if items.len() < min => {
                self.problem(
                    &here,
                    format!(
                        "Array is too short (must have at least {min} elements but instance has {} elements)",
                        items.len()
                    ),
                );
                None
            }
            Value::Array(items) if items.len() > max => {
                self.problem(
                    &here,
                    format!(
                        "Array is too long (must have at most {max} elements but instance has {} elements)",
                        items.len()
                    ),
                );
                None
            }
            Value::Array(items) => Some(items),
            other => {
                self.wrong_type(&here, other, "array");
                None
            }
        }
    }

    /// An array item, which must be an object.
    pub fn item<'v>(&mut self, v: &'v Value, at: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.wrong_type(at, other, "object");
                None
            }
        }
    }

    /// An attachment's declared metadata, as folders and deposit events give it.
    pub fn file_meta(&mut self, a: &Map<String, Value>, at: &str) -> Option<FileMeta> {
        let file_name = self.string(a, at, "fileName", true, 255);
        let attachment_type = self.string(a, at, "type", true, 100);
        let size = self.unsigned(a, at, "size", true);
        let mime_type = self.string(a, at, "mimeType", true, 255);
        Some(FileMeta { file_name: file_name?, attachment_type: attachment_type?, size: size?, mime_type: mime_type? })
    }

    /// A string parsed by `parse`, which explains what is wrong.
    pub fn parsed<T>(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        name: &str,
        required: bool,
        max: usize,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let s = self.string(obj, at, name, required, max)?;
        match parse(&s) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(&format!("{at}.{name}"), e);
                None
            }
        }
    }
}
