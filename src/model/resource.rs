//! A resource (one Kubernetes object) and its identity.

use crate::error::{Error, ErrorKind, Result};
use crate::path::{Place, Step};
use crate::yaml::{RawField, RawScalar};
use serde_json::{Map, Value};
use std::fmt;
use std::path::PathBuf;

/// Group, version, kind. `group` is empty for the core group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    pub fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Gvk {
            group,
            version,
            kind: kind.to_string(),
        }
    }
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Identity of a resource: gvk, namespace ("" when none) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResId {
    pub gvk: Gvk,
    pub namespace: String,
    pub name: String,
}

impl ResId {
    /// kustomize treats an empty namespace and `default` as the same.
    pub fn ns_eq(&self, other: &ResId) -> bool {
        effective_ns(&self.namespace) == effective_ns(&other.namespace)
    }
    /// Same group, version, kind, name and (effective) namespace.
    pub fn equals(&self, other: &ResId) -> bool {
        self.gvk == other.gvk && self.name == other.name && self.ns_eq(other)
    }
    /// `key()` without copying the name and gvk.
    pub fn into_key(mut self) -> ResId {
        // kustomize's EffectiveNamespace: none for cluster-scoped kinds
        // (whatever metadata.namespace says), "default" for an empty one.
        if self.gvk.is_cluster_scoped() {
            self.namespace.clear();
        } else if self.namespace.is_empty() {
            self.namespace = "default".to_string();
        }
        self
    }
    /// Key for hash maps, with the namespace normalised.
    pub fn key(&self) -> ResId {
        self.clone().into_key()
    }
    /// The identity an object states (fields missing read as empty).
    pub fn of(v: &Value) -> ResId {
        ResId {
            gvk: Gvk::from_api_version(str_at(v, &["apiVersion"]), str_at(v, &["kind"])),
            namespace: str_at(v, &["metadata", "namespace"]).to_string(),
            name: str_at(v, &["metadata", "name"]).to_string(),
        }
    }
    /// The API group (empty for the core group).
    pub fn group(&self) -> &str {
        &self.gvk.group
    }
    /// The order of reports (`kcompile diff`): apiVersion as written, kind,
    /// namespace, name.
    pub fn report_order(&self) -> (String, &str, &str, &str) {
        (
            self.gvk.api_version(),
            &self.gvk.kind,
            &self.namespace,
            &self.name,
        )
    }
}

/// Reports show an identity as `{apiVersion, kind, namespace, name}`.
impl serde::Serialize for ResId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ResId", 4)?;
        st.serialize_field("apiVersion", &self.gvk.api_version())?;
        st.serialize_field("kind", &self.gvk.kind)?;
        if self.namespace.is_empty() {
            st.skip_field("namespace")?;
        } else {
            st.serialize_field("namespace", &self.namespace)?;
        }
        st.serialize_field("name", &self.name)?;
        st.end()
    }
}

/// "" and "default" denote the same namespace.
pub fn effective_ns(ns: &str) -> &str {
    if ns.is_empty() {
        "default"
    } else {
        ns
    }
}

impl Error {
    /// The error is about `field` of `r` (see [`Resource::error_at`]),
    /// which it already names.
    pub fn object_at_of(self, r: &Resource, field: &[&str]) -> Error {
        self.object_place(r, field.iter().map(|k| Step::Key(k.to_string())).collect())
    }
    fn object_place(self, r: &Resource, place: Place) -> Error {
        match &r.origin {
            Some(o) => self.object_at(&o.file, o.line, place),
            None => self,
        }
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.gvk.kind, self.name)?;
        if !self.namespace.is_empty() {
            write!(f, " in namespace {}", self.namespace)?;
        }
        Ok(())
    }
}

/// The string at a path of nested maps ("" when absent or not a string).
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(next) => cur = next,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

/// Where a resource came from, for errors and provenance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

/// What a generated object does when one with its name already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behavior {
    #[default]
    Create,
    Merge,
    Replace,
}

/// One object being compiled, with the build state kustomize keeps in
/// internal annotations (kept here as fields, so they never reach output).
#[derive(Debug, Clone)]
pub struct Resource {
    /// Always a JSON object.
    pub obj: Value,
    pub origin: Option<Origin>,
    /// Earlier identities (oldest first), recorded before each rename or
    /// namespace change; name references are resolved through them.
    pub prev_ids: Vec<ResId>,
    /// Name prefixes and suffixes applied so far (innermost first).
    pub prefixes: Vec<String>,
    pub suffixes: Vec<String>,
    /// A generated ConfigMap/Secret that gets a content-hash name suffix.
    pub needs_hash: bool,
    pub behavior: Behavior,
    /// Names of the `vars` bound to this object where they were declared.
    pub ref_vars: Vec<String>,
    /// Transformers that ran over this object (`buildMetadata:
    /// [transformerAnnotations]`).
    pub transformations: Vec<crate::model::provenance::Provenance>,
    /// Values of the annotations, labels and data as written, where that
    /// differs from the parsed value: kustomize reads these string maps as
    /// written (and prints annotations so).
    pub raw: Vec<RawScalar>,
    /// Places that hold one YAML node in kustomize (see `aliases`).
    pub aliases: crate::model::aliases::Aliases,
    /// Node tags and styles that can still change what kustomize prints.
    pub notes: crate::model::notes::Notes,
    /// A JSON 6902 patch removed the transformations annotation that
    /// kustomize keeps on the object (with the running step's entry).
    pub transformations_wiped: bool,
}

impl Resource {
    pub fn new(obj: Value, origin: Option<Origin>) -> Resource {
        Resource {
            obj,
            origin,
            prev_ids: Vec::new(),
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            needs_hash: false,
            behavior: Behavior::Create,
            ref_vars: Vec::new(),
            transformations: Vec::new(),
            raw: Vec::new(),
            aliases: Default::default(),
            notes: Default::default(),
            transformations_wiped: false,
        }
    }
    pub fn map_mut(&mut self) -> &mut Map<String, Value> {
        self.obj.as_object_mut().expect("resource is an object")
    }
    /// The identity before any transformation (kustomize's OrgId).
    pub fn org_id(&self) -> ResId {
        self.prev_ids.first().cloned().unwrap_or_else(|| self.id())
    }
    /// Record the current identity before it changes.
    pub fn store_prev_id(&mut self) {
        let id = self.id();
        self.prev_ids.push(id);
    }
    pub fn set_name(&mut self, name: &str) {
        let md = self
            .map_mut()
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !md.is_object() {
            *md = Value::Object(Map::new());
        }
        if let Some(m) = md.as_object_mut() {
            m.insert("name".into(), Value::String(name.to_string()));
        }
    }
    /// `Deployment/spark-worker in namespace spark-b (from base/worker.yaml:1)`.
    /// kustomize cannot print a string with some control characters
    /// (`yaml::check_round_trip`): an object reaching the output with one
    /// fails the build, at the line it was read from where known.
    pub fn check_printable(&self) -> Result<()> {
        fn find(v: &Value, at: &mut crate::path::Place) -> Option<String> {
            match v {
                Value::String(s) => crate::yaml::check_round_trip(s).err(),
                Value::Array(a) => a.iter().enumerate().find_map(|(i, e)| {
                    at.push(crate::path::Step::Index(i));
                    let r = find(e, at);
                    if r.is_none() {
                        at.pop();
                    }
                    r
                }),
                Value::Object(m) => m.iter().find_map(|(k, e)| {
                    at.push(crate::path::Step::Key(k.clone()));
                    let r = find(e, at);
                    if r.is_none() {
                        at.pop();
                    }
                    r
                }),
                _ => None,
            }
        }
        let mut at = Vec::new();
        let Some(message) = find(&self.obj, &mut at) else {
            return Ok(());
        };
        let e = Error::new(ErrorKind::Resource, format!("invalid YAML: {message}"));
        Err(
            match (self.notes.unprintable(&self.obj, &at), &self.origin) {
                (Some((line, col, _)), Some(o)) => e.file(&o.file).pos(line, col),
                _ => e.resource(self.describe()),
            }
            .hint("remove the character or write it as an escape the output can carry"),
        )
    }

    /// kustomize fails when a step leaves an object without a kind or a
    /// name (or not a mapping at all): so does kcompile, naming the step and
    /// the object as it was before.
    pub fn check_identity(&self, step: &str, before: &str) -> Result<()> {
        let missing = if !self.obj.is_object() {
            Some(format!(
                "its mapping (the object became {})",
                crate::yaml::describe(&self.obj)
            ))
        } else if self.kind().is_empty() {
            Some("`kind`".to_string())
        } else if self.name().is_empty() {
            Some("`metadata.name`".to_string())
        } else {
            None
        };
        match missing {
            None => Ok(()),
            Some(what) => Err(Error::new(
                ErrorKind::Resource,
                format!("{step} leaves the object without {what}; kustomize fails here too"),
            )
            .resource(before.to_string())
            .hint("every object needs apiVersion, kind and metadata.name after each patch or replacement")),
        }
    }
    pub fn describe(&self) -> String {
        self.describe_as(&self.id())
    }
    /// An error about `field` of this object (`&[]`: the object): it names
    /// the object and, where the object was read from a file, the field's
    /// line and column once `compile` locates it.
    pub fn error_at(&self, e: Error, field: &[&str]) -> Error {
        let place = field.iter().map(|k| Step::Key(k.to_string())).collect();
        self.error_at_place(e, place)
    }
    /// [`Resource::error_at`] for a place that may cross lists.
    pub fn error_at_place(&self, e: Error, place: Place) -> Error {
        e.resource(self.describe()).object_place(self, place)
    }
    /// `describe` under a given identity, e.g. the one recorded before a
    /// failed patch changed the object.
    pub fn describe_as(&self, id: &ResId) -> String {
        let mut s = id.to_string();
        if let Some(o) = &self.origin {
            s.push_str(&format!(
                " (from {}:{})",
                crate::error::shown(&o.file),
                o.line
            ));
        }
        s
    }
    pub fn labels(&self) -> Option<&Map<String, Value>> {
        self.obj.get("metadata")?.get("labels")?.as_object()
    }
    pub fn annotations(&self) -> Option<&Map<String, Value>> {
        self.obj.get("metadata")?.get("annotations")?.as_object()
    }
    /// The string kustomize makes of `key` holding `v` in one of the string
    /// maps: its source text while it still holds the value parsed from it,
    /// else the JSON text of the scalar (`None` for a list or map).
    fn raw_text(&self, field: RawField, key: &str, v: &Value) -> Option<String> {
        match self
            .raw
            .iter()
            .find(|r| r.field == field && r.key == key && r.value == *v)
        {
            Some(r) => Some(r.text.clone()),
            None => {
                // A node a replacement created reads as the text copied.
                use crate::path::Step;
                let (map, key) = match field {
                    RawField::Annotation => ("annotations", key),
                    RawField::Label => ("labels", key),
                    RawField::Data => ("", key),
                };
                let place: Vec<Step> = if map.is_empty() {
                    vec![Step::Key("data".into()), Step::Key(key.into())]
                } else {
                    vec![
                        Step::Key("metadata".into()),
                        Step::Key(map.into()),
                        Step::Key(key.into()),
                    ]
                };
                self.notes
                    .untagged_text(&self.obj, &place)
                    .or_else(|| crate::yaml::annotation_text(v))
            }
        }
    }
    /// A string map as kustomize reads it (`GetAnnotations`, `GetLabels`,
    /// `GetDataMap`: values as written, lists and maps as empty strings).
    pub fn string_map(&self, field: RawField) -> Option<Map<String, Value>> {
        let m = match field {
            RawField::Annotation => self.annotations()?,
            RawField::Label => self.labels()?,
            RawField::Data => self.obj.get("data")?.as_object()?,
        };
        Some(
            m.iter()
                .map(|(k, v)| {
                    // GetDataMap decodes a null into a Go string: "".
                    let s = if field == RawField::Data && v.is_null() {
                        String::new()
                    } else {
                        self.raw_text(field, k, v).unwrap_or_default()
                    };
                    (k.clone(), Value::String(s))
                })
                .collect(),
        )
    }
    /// The annotations as kustomize reads them, for annotation selectors.
    pub fn annotation_strings(&self) -> Option<Map<String, Value>> {
        self.string_map(RawField::Annotation)
    }
    /// A JSON round trip (a JSON 6902 patch) leaves every value as the JSON
    /// it decodes to: the source texts no longer apply.
    pub fn forget_raw_texts(&mut self) {
        self.raw.clear();
    }
    /// kustomize's SetAnnotations: scalar annotation values become the
    /// strings of their texts as written (kustomize stores build
    /// annotations this way before a JSON 6902 patch, so they keep `0x1F`).
    pub fn stringify_annotations(&mut self) {
        let Some(a) = self.annotations().cloned() else {
            return;
        };
        let texts: Vec<(String, String)> = a
            .iter()
            .filter(|(_, v)| !v.is_object() && !v.is_array())
            .filter_map(|(k, v)| Some((k.clone(), self.raw_text(RawField::Annotation, k, v)?)))
            .collect();
        if let Some(m) = self
            .obj
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(Value::as_object_mut)
        {
            for (k, t) in texts {
                m.insert(k, Value::String(t));
            }
        }
    }
    /// Source texts set by a strategic merge patch replace the object's for
    /// the keys the patch writes.
    pub fn take_raw_texts_from_patch(&mut self, patch: &Value, raw: &[RawScalar]) {
        let written = |field: RawField| {
            let m = match field {
                RawField::Annotation => patch.get("metadata").and_then(|m| m.get("annotations")),
                RawField::Label => patch.get("metadata").and_then(|m| m.get("labels")),
                RawField::Data => patch.get("data"),
            };
            m.and_then(Value::as_object)
        };
        self.raw
            .retain(|x| !written(x.field).is_some_and(|m| m.contains_key(&x.key)));
        self.raw.extend(raw.iter().cloned());
    }
    /// kustomize's last step on annotations: every value becomes the string
    /// of its YAML node (`port: 8080` prints as `"8080"`), and a null or
    /// empty `annotations` goes away. What kustomize would silently lose is
    /// an error: a list or map as a value (printed as ""), or annotations
    /// that are not a mapping (dropped).
    pub fn finish_annotations(&mut self) -> Result<()> {
        let Some(md) = self.obj.get("metadata").and_then(Value::as_object) else {
            return Ok(());
        };
        let texts = match md.get("annotations") {
            None => return Ok(()),
            Some(Value::Null) => None,
            Some(Value::Object(a)) if a.is_empty() => None,
            Some(Value::Object(a)) => {
                let mut out = Map::new();
                for (k, v) in a {
                    let Some(text) = self.raw_text(RawField::Annotation, k, v) else {
                        return Err(Error::new(
                            ErrorKind::Resource,
                            format!(
                                "annotation `{k}` has a {} as its value; annotation values are strings (kustomize would print an empty string)",
                                if v.is_array() { "list" } else { "map" }
                            ),
                        )
                        .resource(self.describe())
                        .object_at_of(self, &["metadata", "annotations", k.as_str()])
                        .hint("write the value as a string, e.g. JSON text in quotes or a block scalar (`|`)"));
                    };
                    out.insert(k.clone(), Value::String(text));
                }
                Some(out)
            }
            Some(other) => {
                return Err(Error::new(
                    ErrorKind::Resource,
                    format!(
                        "`metadata.annotations` is {}, not a mapping (kustomize would drop it)",
                        crate::yaml::describe(other)
                    ),
                )
                .resource(self.describe())
                .object_at_of(self, &["metadata", "annotations"])
                .hint("annotations are a mapping of names to strings"));
            }
        };
        let md = self
            .map_mut()
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .expect("checked above");
        match texts {
            Some(t) => {
                md.insert("annotations".into(), Value::Object(t));
            }
            None => {
                md.remove("annotations");
            }
        }
        self.raw.retain(|r| r.field != RawField::Annotation);
        Ok(())
    }
    pub fn map(&self) -> &Map<String, Value> {
        self.obj.as_object().expect("resource is an object")
    }
    fn str_at(&self, path: &[&str]) -> &str {
        str_at(&self.obj, path)
    }
    /// Set `metadata.namespace`, or remove it when `ns` is empty.
    pub fn set_namespace(&mut self, ns: &str) {
        if let Some(md) = self
            .map_mut()
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        {
            if ns.is_empty() {
                md.remove("namespace");
            } else {
                md.insert("namespace".into(), Value::String(ns.to_string()));
            }
        }
    }
    pub fn kind(&self) -> &str {
        self.str_at(&["kind"])
    }
    pub fn api_version(&self) -> &str {
        self.str_at(&["apiVersion"])
    }
    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"])
    }
    pub fn namespace(&self) -> &str {
        self.str_at(&["metadata", "namespace"])
    }
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.api_version(), self.kind())
    }
    pub fn id(&self) -> ResId {
        ResId {
            gvk: self.gvk(),
            namespace: self.namespace().to_string(),
            name: self.name().to_string(),
        }
    }
}

/// Built-in kinds that live outside namespaces, with their API group.
/// Custom resources (and a built-in kind name in another group, such as a
/// `Namespace` of some operator's API) are assumed namespaced, as kustomize
/// assumes.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "ComponentStatus"),
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("authentication.k8s.io", "SelfSubjectReview"),
    ("authentication.k8s.io", "TokenReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("internal.apiserver.k8s.io", "StorageVersion"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("policy", "PodSecurityPolicy"),
    ("extensions", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
];

/// Whether objects of this group and kind live outside namespaces.
pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(g, k)| *k == kind && *g == group)
}

impl Gvk {
    pub fn is_cluster_scoped(&self) -> bool {
        is_cluster_scoped(&self.group, &self.kind)
    }
}
