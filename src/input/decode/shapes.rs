//! The Go types kustomize v5.5 decodes its configuration into (api v0.18.0,
//! kyaml v0.18.1), as data: every field name at every level, in Go's
//! declaration order, with embedded structs kept as embeddings (their fields
//! are promoted, as in Go). `schemas/kustomization.schema.json` is checked
//! against [`KUSTOMIZATION`] field by field (tests/validate_cli.rs).

use super::{Field, Shape, Struct};

use Field::{Embedded as E, Named as N};
use Shape::{Bool, Int, Str};

const STRINGS: Shape = Shape::List(&Str);
const STRING_MAP: Shape = Shape::Map(&Str);

pub static GVK: Struct = Struct {
    name: "Gvk",
    fields: &[N("group", Str), N("version", Str), N("kind", Str)],
};

pub static RES_ID: Struct = Struct {
    name: "ResId",
    fields: &[E(&GVK), N("name", Str), N("namespace", Str)],
};

pub static SELECTOR: Struct = Struct {
    name: "Selector",
    fields: &[
        E(&RES_ID),
        N("annotationSelector", Str),
        N("labelSelector", Str),
    ],
};

pub static FIELD_SPEC: Struct = Struct {
    name: "FieldSpec",
    fields: &[E(&GVK), N("path", Str), N("create", Bool)],
};

const FIELD_SPECS: Shape = Shape::List(&Shape::Struct(&FIELD_SPEC));

pub static TYPE_META: Struct = Struct {
    name: "TypeMeta",
    fields: &[N("kind", Str), N("apiVersion", Str)],
};

pub static OBJECT_META: Struct = Struct {
    name: "ObjectMeta",
    fields: &[
        N("name", Str),
        N("namespace", Str),
        N("labels", STRING_MAP),
        N("annotations", STRING_MAP),
    ],
};

pub static LABEL: Struct = Struct {
    name: "Label",
    fields: &[
        N("pairs", STRING_MAP),
        N("includeSelectors", Bool),
        N("includeTemplates", Bool),
        N("fields", FIELD_SPECS),
    ],
};

pub static PATCH: Struct = Struct {
    name: "Patch",
    fields: &[
        N("path", Str),
        N("patch", Str),
        N("target", Shape::Ptr(&Shape::Struct(&SELECTOR))),
        N("options", Shape::Map(&Bool)),
    ],
};

pub static IMAGE: Struct = Struct {
    name: "Image",
    fields: &[
        N("name", Str),
        N("newName", Str),
        N("tagSuffix", Str),
        N("newTag", Str),
        N("digest", Str),
    ],
};

pub static REPLICA: Struct = Struct {
    name: "Replica",
    fields: &[N("name", Str), N("count", Int)],
};

pub static FIELD_OPTIONS: Struct = Struct {
    name: "FieldOptions",
    fields: &[
        N("delimiter", Str),
        N("index", Int),
        N("encoding", Str),
        N("create", Bool),
    ],
};

pub static SOURCE_SELECTOR: Struct = Struct {
    name: "SourceSelector",
    fields: &[
        E(&RES_ID),
        N("fieldPath", Str),
        N("options", Shape::Ptr(&Shape::Struct(&FIELD_OPTIONS))),
    ],
};

pub static TARGET_SELECTOR: Struct = Struct {
    name: "TargetSelector",
    fields: &[
        N("select", Shape::Ptr(&Shape::Struct(&SELECTOR))),
        N(
            "reject",
            Shape::List(&Shape::Ptr(&Shape::Struct(&SELECTOR))),
        ),
        N("fieldPaths", STRINGS),
        N("options", Shape::Ptr(&Shape::Struct(&FIELD_OPTIONS))),
    ],
};

pub static REPLACEMENT: Struct = Struct {
    name: "Replacement",
    fields: &[
        N("source", Shape::Ptr(&Shape::Struct(&SOURCE_SELECTOR))),
        N(
            "targets",
            Shape::List(&Shape::Ptr(&Shape::Struct(&TARGET_SELECTOR))),
        ),
    ],
};

/// An entry of `replacements:`: inline, or `path:` to a file of them.
pub static REPLACEMENT_FIELD: Struct = Struct {
    name: "ReplacementField",
    fields: &[E(&REPLACEMENT), N("path", Str)],
};

/// What a `replacements: [{path: …}]` file holds: one replacement or a list.
pub static REPLACEMENT_SHAPE: Shape = Shape::Struct(&REPLACEMENT);
pub static REPLACEMENT_LIST: Shape = Shape::List(&Shape::Struct(&REPLACEMENT));

pub static VAR_TARGET: Struct = Struct {
    name: "Target",
    fields: &[
        N("apiVersion", Str),
        E(&GVK),
        N("name", Str),
        N("namespace", Str),
    ],
};

pub static FIELD_SELECTOR: Struct = Struct {
    name: "FieldSelector",
    fields: &[N("fieldPath", Str)],
};

pub static VAR: Struct = Struct {
    name: "Var",
    fields: &[
        N("name", Str),
        N("objref", Shape::Struct(&VAR_TARGET)),
        N("fieldref", Shape::Struct(&FIELD_SELECTOR)),
    ],
};

pub static LEGACY_SORT_OPTIONS: Struct = Struct {
    name: "LegacySortOptions",
    fields: &[N("orderFirst", STRINGS), N("orderLast", STRINGS)],
};

pub static SORT_OPTIONS: Struct = Struct {
    name: "SortOptions",
    fields: &[
        N("order", Str),
        N(
            "legacySortOptions",
            Shape::Ptr(&Shape::Struct(&LEGACY_SORT_OPTIONS)),
        ),
    ],
};

pub static GENERATOR_OPTIONS: Struct = Struct {
    name: "GeneratorOptions",
    fields: &[
        N("labels", STRING_MAP),
        N("annotations", STRING_MAP),
        N("disableNameSuffixHash", Bool),
        N("immutable", Bool),
    ],
};

pub static KV_PAIR_SOURCES: Struct = Struct {
    name: "KvPairSources",
    fields: &[
        N("literals", STRINGS),
        N("files", STRINGS),
        N("envs", STRINGS),
        N("env", Str),
    ],
};

pub static GENERATOR_ARGS: Struct = Struct {
    name: "GeneratorArgs",
    fields: &[
        N("namespace", Str),
        N("name", Str),
        N("behavior", Str),
        E(&KV_PAIR_SOURCES),
        N("options", Shape::Ptr(&Shape::Struct(&GENERATOR_OPTIONS))),
    ],
};

pub static CONFIG_MAP_ARGS: Struct = Struct {
    name: "ConfigMapArgs",
    fields: &[E(&GENERATOR_ARGS)],
};

pub static SECRET_ARGS: Struct = Struct {
    name: "SecretArgs",
    fields: &[E(&GENERATOR_ARGS), N("type", Str)],
};

pub static HELM_GLOBALS: Struct = Struct {
    name: "HelmGlobals",
    fields: &[N("chartHome", Str), N("configHome", Str)],
};

pub static HELM_CHART: Struct = Struct {
    name: "HelmChart",
    fields: &[
        N("name", Str),
        N("version", Str),
        N("repo", Str),
        N("releaseName", Str),
        N("namespace", Str),
        N("additionalValuesFiles", STRINGS),
        N("valuesFile", Str),
        N("valuesInline", Shape::Map(&Shape::Any)),
        N("valuesMerge", Str),
        N("includeCRDs", Bool),
        N("skipHooks", Bool),
        N("apiVersions", STRINGS),
        N("kubeVersion", Str),
        N("nameTemplate", Str),
        N("skipTests", Bool),
        N("debug", Bool),
    ],
};

pub static HELM_CHART_ARGS: Struct = Struct {
    name: "HelmChartArgs",
    fields: &[
        N("chartName", Str),
        N("chartVersion", Str),
        N("chartRepoUrl", Str),
        N("chartHome", Str),
        N("chartRepoName", Str),
        N("helmBin", Str),
        N("helmHome", Str),
        N("values", Str),
        N("valuesLocal", Shape::Map(&Shape::Any)),
        N("valuesMerge", Str),
        N("releaseName", Str),
        N("releaseNamespace", Str),
        N("extraArgs", STRINGS),
    ],
};

/// `kustomization.yaml` (types.Kustomization).
pub static KUSTOMIZATION: Struct = Struct {
    name: "Kustomization",
    fields: &[
        E(&TYPE_META),
        N("metadata", Shape::Ptr(&Shape::Struct(&OBJECT_META))),
        N("openapi", STRING_MAP),
        N("namePrefix", Str),
        N("nameSuffix", Str),
        N("namespace", Str),
        N("commonLabels", STRING_MAP),
        N("labels", Shape::List(&Shape::Struct(&LABEL))),
        N("commonAnnotations", STRING_MAP),
        N("patchesStrategicMerge", STRINGS),
        N("patchesJson6902", Shape::List(&Shape::Struct(&PATCH))),
        N("patches", Shape::List(&Shape::Struct(&PATCH))),
        N("images", Shape::List(&Shape::Struct(&IMAGE))),
        N("imageTags", Shape::List(&Shape::Struct(&IMAGE))),
        N(
            "replacements",
            Shape::List(&Shape::Struct(&REPLACEMENT_FIELD)),
        ),
        N("replicas", Shape::List(&Shape::Struct(&REPLICA))),
        N("vars", Shape::List(&Shape::Struct(&VAR))),
        N("sortOptions", Shape::Ptr(&Shape::Struct(&SORT_OPTIONS))),
        N("resources", STRINGS),
        N("components", STRINGS),
        N("crds", STRINGS),
        N("bases", STRINGS),
        N(
            "configMapGenerator",
            Shape::List(&Shape::Struct(&CONFIG_MAP_ARGS)),
        ),
        N("secretGenerator", Shape::List(&Shape::Struct(&SECRET_ARGS))),
        N("helmGlobals", Shape::Ptr(&Shape::Struct(&HELM_GLOBALS))),
        N("helmCharts", Shape::List(&Shape::Struct(&HELM_CHART))),
        N(
            "helmChartInflationGenerator",
            Shape::List(&Shape::Struct(&HELM_CHART_ARGS)),
        ),
        N(
            "generatorOptions",
            Shape::Ptr(&Shape::Struct(&GENERATOR_OPTIONS)),
        ),
        N("configurations", STRINGS),
        N("generators", STRINGS),
        N("transformers", STRINGS),
        N("validators", STRINGS),
        N("buildMetadata", STRINGS),
    ],
};

pub static NAME_BACK_REFERENCES: Struct = Struct {
    name: "NameBackReferences",
    fields: &[E(&GVK), N("fieldSpecs", FIELD_SPECS)],
};

/// A `configurations:` file (builtinconfig.TransformerConfig).
pub static TRANSFORMER_CONFIG: Struct = Struct {
    name: "TransformerConfig",
    fields: &[
        N("namePrefix", FIELD_SPECS),
        N("nameSuffix", FIELD_SPECS),
        N("namespace", FIELD_SPECS),
        N("commonLabels", FIELD_SPECS),
        N("labels", FIELD_SPECS),
        N("templateLabels", FIELD_SPECS),
        N("commonAnnotations", FIELD_SPECS),
        N(
            "nameReference",
            Shape::List(&Shape::Struct(&NAME_BACK_REFERENCES)),
        ),
        N("varReference", FIELD_SPECS),
        N("images", FIELD_SPECS),
        N("replicas", FIELD_SPECS),
    ],
};

// Builtin plugin configs under `transformers:` / `generators:` (the plugin
// structs of api/internal/builtins; apiVersion and kind are read from the
// object, not from these).

pub static ANNOTATIONS_TRANSFORMER: Struct = Struct {
    name: "AnnotationsTransformerPlugin",
    fields: &[N("annotations", STRING_MAP), N("fieldSpecs", FIELD_SPECS)],
};

pub static CONFIG_MAP_GENERATOR: Struct = Struct {
    name: "ConfigMapGeneratorPlugin",
    fields: &[
        N("metadata", Shape::Struct(&OBJECT_META)),
        E(&CONFIG_MAP_ARGS),
    ],
};

pub static SECRET_GENERATOR: Struct = Struct {
    name: "SecretGeneratorPlugin",
    fields: &[N("metadata", Shape::Struct(&OBJECT_META)), E(&SECRET_ARGS)],
};

pub static IAM_KUBERNETES_SERVICE: Struct = Struct {
    name: "KubernetesService",
    fields: &[N("name", Str), N("namespace", Str)],
};

pub static IAM_SERVICE_ACCOUNT: Struct = Struct {
    name: "ServiceAccount",
    fields: &[N("name", Str), N("projectId", Str)],
};

pub static IAM_POLICY_GENERATOR_ARGS: Struct = Struct {
    name: "IAMPolicyGeneratorArgs",
    fields: &[
        N("cloud", Str),
        N("kubernetesService", Shape::Struct(&IAM_KUBERNETES_SERVICE)),
        N("serviceAccount", Shape::Struct(&IAM_SERVICE_ACCOUNT)),
    ],
};

pub static HELM_CHART_INFLATION_GENERATOR: Struct = Struct {
    name: "HelmChartInflationGeneratorPlugin",
    fields: &[E(&HELM_GLOBALS), E(&HELM_CHART)],
};

pub static IAM_POLICY_GENERATOR: Struct = Struct {
    name: "IAMPolicyGeneratorPlugin",
    fields: &[E(&IAM_POLICY_GENERATOR_ARGS)],
};

pub static IMAGE_TAG_TRANSFORMER: Struct = Struct {
    name: "ImageTagTransformerPlugin",
    fields: &[
        N("imageTag", Shape::Struct(&IMAGE)),
        N("fieldSpecs", FIELD_SPECS),
    ],
};

pub static LABEL_TRANSFORMER: Struct = Struct {
    name: "LabelTransformerPlugin",
    fields: &[N("labels", STRING_MAP), N("fieldSpecs", FIELD_SPECS)],
};

pub static NAMESPACE_TRANSFORMER: Struct = Struct {
    name: "NamespaceTransformerPlugin",
    fields: &[
        N("metadata", Shape::Struct(&OBJECT_META)),
        N("fieldSpecs", FIELD_SPECS),
        N("unsetOnly", Bool),
        N("setRoleBindingSubjects", Str),
    ],
};

pub static PATCH_JSON6902_TRANSFORMER: Struct = Struct {
    name: "PatchJson6902TransformerPlugin",
    fields: &[
        N("target", Shape::Ptr(&Shape::Struct(&SELECTOR))),
        N("path", Str),
        N("jsonOp", Str),
    ],
};

pub static PATCH_STRATEGIC_MERGE_TRANSFORMER: Struct = Struct {
    name: "PatchStrategicMergeTransformerPlugin",
    fields: &[N("paths", STRINGS), N("patches", Str)],
};

pub static PATCH_TRANSFORMER: Struct = Struct {
    name: "PatchTransformerPlugin",
    fields: &[
        N("path", Str),
        N("patch", Str),
        N("target", Shape::Ptr(&Shape::Struct(&SELECTOR))),
        N("options", Shape::Map(&Bool)),
    ],
};

pub static PREFIX_TRANSFORMER: Struct = Struct {
    name: "PrefixTransformerPlugin",
    fields: &[N("prefix", Str), N("fieldSpecs", FIELD_SPECS)],
};

pub static SUFFIX_TRANSFORMER: Struct = Struct {
    name: "SuffixTransformerPlugin",
    fields: &[N("suffix", Str), N("fieldSpecs", FIELD_SPECS)],
};

/// The legacy PrefixSuffixTransformer: the prefix and the suffix plugin
/// configured from the same object.
pub static PREFIX_SUFFIX_TRANSFORMER: Struct = Struct {
    name: "PrefixSuffixTransformer",
    fields: &[
        N("prefix", Str),
        N("suffix", Str),
        N("fieldSpecs", FIELD_SPECS),
    ],
};

pub static REPLACEMENT_TRANSFORMER: Struct = Struct {
    name: "ReplacementTransformerPlugin",
    fields: &[
        N(
            "replacements",
            Shape::List(&Shape::Struct(&REPLACEMENT_FIELD)),
        ),
        // kustomize tags its already-loaded list `json:"omitempty"`, so a
        // config key `omitempty` fills it (ahead of `replacements`).
        N("omitempty", Shape::List(&Shape::Struct(&REPLACEMENT))),
    ],
};

pub static REPLICA_COUNT_TRANSFORMER: Struct = Struct {
    name: "ReplicaCountTransformerPlugin",
    fields: &[
        N("replica", Shape::Struct(&REPLICA)),
        N("fieldSpecs", FIELD_SPECS),
    ],
};
