//! The defects of Atlassian's OpenAPI description the conformance tests tolerate, in one place:
//! what is wrong, where it is documented, which entry of the simulator's own list
//! (`bitbucket_dc_sim::TOLERATED_SPEC_DEFECTS`) it matches, and exactly what the tests do about it.

/// One tolerated spec defect.
#[derive(Debug)]
pub(crate) struct Tolerated {
    /// What the specification gets wrong.
    pub(crate) defect: &'static str,
    /// Where the defect is documented.
    pub(crate) source: &'static str,
    /// The start of the matching entry of `bitbucket_dc_sim::TOLERATED_SPEC_DEFECTS`, when the
    /// simulator lists it (the tests check both lists agree).
    pub(crate) simulator_entry: Option<&'static str>,
    /// What the tests do about it.
    pub(crate) tolerance: Tolerance,
}

/// How a defect is tolerated.
#[derive(Debug)]
pub(crate) enum Tolerance {
    /// Each `(schema, pointer, replacement)`: the subschema at `pointer` inside
    /// `#/components/schemas/{schema}` is replaced by the JSON `replacement` before validating.
    Patch(&'static [(&'static str, &'static str, &'static str)]),
    /// 200 bodies of `method template` are validated against `shape` instead of the declared
    /// schema.
    Respond {
        method: &'static str,
        template: &'static str,
        shape: Shape,
    },
    /// 200 bodies of `method` on these templates are not validated: the specification declares
    /// no schema for them.
    Unchecked {
        method: &'static str,
        templates: &'static [&'static str],
    },
    /// Nothing to do: the declared schema is looser than real answers (no
    /// `additionalProperties: false` anywhere), or the defect concerns requests, whose method and
    /// path are still checked. Listed so that the table is complete.
    Nothing,
}

/// A response shape built from a component schema.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// A page `{size, limit, isLastPage, start, nextPageStart, values: [X]}` of the component.
    PageOf(&'static str),
    /// A JSON array of the component.
    ArrayOf(&'static str),
}

/// Every tolerated defect.
pub(crate) const TOLERATED: &[Tolerated] = &[
    Tolerated {
        defect: "RestPullRequestMergeability has no canMerge property; real answers carry it",
        source: "bitbucket-dc-api.md section 0; Jenkins bitbucket-branch-source-plugin reads canMerge",
        simulator_entry: Some("RestPullRequestMergeability lacks canMerge"),
        tolerance: Tolerance::Nothing,
    },
    Tolerated {
        defect: "RestRepository.links and RestProject.links are objects without properties; real answers carry {clone:[{href,name}], self:[{href}]}",
        source: "bitbucket-dc-api.md section 0 and section 4",
        simulator_entry: Some("RestRepository.links and RestProject.links"),
        tolerance: Tolerance::Nothing,
    },
    Tolerated {
        defect: "GET browse and browse/{path} declare an empty 200 schema; answers are a page of file lines or a directory with a page of children",
        source: "bitbucket-dc-api.md section 0 and section 6.1",
        simulator_entry: Some("GET browse/{path} has an empty 200 schema"),
        tolerance: Tolerance::Unchecked {
            method: "GET",
            templates: &[
                "/api/latest/projects/{projectKey}/repos/{repositorySlug}/browse",
                "/api/latest/projects/{projectKey}/repos/{repositorySlug}/browse/{path}",
            ],
        },
    },
    Tolerated {
        defect: "GET /api/latest/users declares a single RestApplicationUser; the answer is a page of users",
        source: "bitbucket-dc-api.md section 0 and section 2.4",
        simulator_entry: Some("GET /api/latest/users is declared as a single RestApplicationUser"),
        tolerance: Tolerance::Respond {
            method: "GET",
            template: "/api/latest/users",
            shape: Shape::PageOf("RestApplicationUser"),
        },
    },
    Tolerated {
        defect: "RestPullRequestActivity omits comment, commentAction, commentAnchor, addedReviewers, removedReviewers and the rescope fields",
        source: "bitbucket-dc-api.md section 0; vriesdemichael/bitbucket-server-cli docs/openapi/fixes.yaml OPENAPI-006",
        simulator_entry: Some("RestPullRequestActivity omits"),
        tolerance: Tolerance::Nothing,
    },
    Tolerated {
        defect: "RestBranch declares `default`; real servers send `isDefault`",
        source: "bitbucket-dc-api.md section 5; the client reads both",
        simulator_entry: Some("RestBranch declares `default`"),
        tolerance: Tolerance::Nothing,
    },
    Tolerated {
        defect: "RestPullRequest omits `author`; real answers carry the author participant",
        source: "bitbucket-dc-api.md section 8.1",
        simulator_entry: Some("RestPullRequest omits `author`"),
        tolerance: Tolerance::Nothing,
    },
    Tolerated {
        defect: "comment anchors type path and srcPath as RestPath objects; clients send and servers answer plain strings",
        source: "bitbucket-dc-api.md section 0",
        simulator_entry: Some("RestCommentThreadDiffAnchor types path/srcPath as objects"),
        tolerance: Tolerance::Patch(&[
            ("RestCommentThreadDiffAnchor", "/properties/path", r#"{"type": "string"}"#),
            ("RestCommentThreadDiffAnchor", "/properties/srcPath", r#"{"type": "string"}"#),
            ("RestComment", "/properties/anchor/properties/path", r#"{"type": "string"}"#),
            ("RestComment", "/properties/anchor/properties/srcPath", r#"{"type": "string"}"#),
        ]),
    },
    Tolerated {
        defect: "GET pull-requests/{pullRequestId}/changes declares a single RestChange; the answer is a page of changes",
        source: "bitbucket-dc-api.md section 8.2 (commits / changes are paged)",
        simulator_entry: Some("GET pull-requests/{id}/changes is declared as a single RestChange"),
        tolerance: Tolerance::Respond {
            method: "GET",
            template: "/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/changes",
            shape: Shape::PageOf("RestChange"),
        },
    },
    Tolerated {
        defect: "DELETE branch-utils branches and DELETE pull-requests/{pullRequestId} take JSON request bodies, invalid for OpenAPI 3 tooling but real",
        source: "bitbucket-dc-api.md section 0 and section 12 item 19",
        simulator_entry: Some("DELETE branch-utils branches and DELETE pull-requests/{id} take JSON request bodies"),
        tolerance: Tolerance::Nothing,
    },
    Tolerated {
        defect: "RestInsightReportData.value is typed as an object; values are numbers, strings, booleans, durations or link objects",
        source: "bitbucket-dc-api.md section 11.3",
        simulator_entry: Some("RestInsightReportData.value is typed as an object"),
        tolerance: Tolerance::Patch(&[("RestInsightReportData", "/properties/value", "{}")]),
    },
    Tolerated {
        defect: "RestErrorMessage.context is typed as a string; errors not tied to a field carry context null",
        source: "bitbucket-dc-api.md section 2.2 (401 fixture with \"context\":null)",
        simulator_entry: Some("RestErrorMessage.context is typed as a string"),
        tolerance: Tolerance::Patch(&[(
            "RestErrorMessage",
            "/properties/context",
            r#"{"type": ["string", "null"]}"#,
        )]),
    },
    Tolerated {
        defect: "GET raw/{path} declares application/json without a schema; it serves the file's exact bytes",
        source: "bitbucket-dc-api.md section 6.1",
        simulator_entry: None,
        tolerance: Tolerance::Unchecked {
            method: "GET",
            templates: &["/api/latest/projects/{projectKey}/repos/{repositorySlug}/raw/{path}"],
        },
    },
    Tolerated {
        defect: "GET default-reviewers .../reviewers declares an array of RestPullRequestCondition; the answer is the array of users to add",
        source: "bitbucket-dc-api.md section 8.2 (default reviewers: array of users, unpaged)",
        simulator_entry: None,
        tolerance: Tolerance::Respond {
            method: "GET",
            template: "/default-reviewers/latest/projects/{projectKey}/repos/{repositorySlug}/reviewers",
            shape: Shape::ArrayOf("RestApplicationUser"),
        },
    },
    Tolerated {
        defect: "some operations miss path-parameter declarations and have duplicate or empty operationIds",
        source: "bitbucket-dc-api.md section 0; fixes.yaml OPENAPI-001/002",
        simulator_entry: None,
        tolerance: Tolerance::Nothing,
    },
    Tolerated {
        defect: "requiredApprovers is an object in newer servers and an integer in older ones",
        source: "bitbucket-dc-api.md section 0; fixes.yaml OPENAPI-005",
        simulator_entry: None,
        tolerance: Tolerance::Nothing,
    },
];
