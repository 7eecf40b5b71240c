//! The facts every rendered value set promises: namespace and labels, the hardened pod, the access key as
//! a file, only the configuration contract's env, the NetworkPolicy, the PodDisruptionBudget, spreading.

use super::{agent_env, env_path, env_value, Manifest, Report};
use crate::chart::objects::Object;
use crate::chart::NAMESPACE;

pub(super) fn check_common(case: &str, m: &Manifest, report: &mut Report) {
    let Some(d) = m.one("Deployment") else {
        report.check(
            case,
            false,
            format!("exactly one Deployment expected, rendered {:?}", m.kinds()),
        );
        return;
    };
    for o in &m.objects {
        report.eq(
            case,
            &format!("{}/{} namespace", o.kind, o.name),
            o.get("metadata.namespace"),
            NAMESPACE,
        );
        report.eq(
            case,
            &format!("{}/{} label app", o.kind, o.name),
            o.get("metadata.labels.app"),
            "gitproxy",
        );
    }
    let pod = "spec.template.spec";
    let c = "spec.template.spec.containers[0]";
    report.eq(
        case,
        "pod label app (kubectl -l app=gitproxy)",
        d.get("spec.template.metadata.labels.app"),
        "gitproxy",
    );
    report.eq(
        case,
        "selector app",
        d.get("spec.selector.matchLabels.app"),
        "gitproxy",
    );
    report.eq(
        case,
        "containers",
        Some(d.len(&format!("{pod}.containers")).to_string()),
        "1",
    );
    for (path, expected) in [
        (format!("{pod}.automountServiceAccountToken"), "false"),
        (format!("{pod}.enableServiceLinks"), "false"),
        (format!("{pod}.terminationGracePeriodSeconds"), "45"),
        (format!("{pod}.securityContext.runAsNonRoot"), "true"),
        (format!("{pod}.securityContext.runAsUser"), "65532"),
        (
            format!("{pod}.securityContext.seccompProfile.type"),
            "RuntimeDefault",
        ),
        (format!("{c}.securityContext.runAsNonRoot"), "true"),
        (format!("{c}.securityContext.runAsUser"), "65532"),
        (
            format!("{c}.securityContext.readOnlyRootFilesystem"),
            "true",
        ),
        (
            format!("{c}.securityContext.allowPrivilegeEscalation"),
            "false",
        ),
        (format!("{c}.securityContext.privileged"), "false"),
        (format!("{c}.securityContext.capabilities.drop[0]"), "ALL"),
        (
            format!("{c}.securityContext.seccompProfile.type"),
            "RuntimeDefault",
        ),
        (format!("{c}.args[0]"), "run"),
        (format!("{c}.ports[0].name"), "http"),
        (format!("{c}.ports[0].containerPort"), "8080"),
        (format!("{c}.livenessProbe.httpGet.path"), "/healthz"),
        (format!("{c}.livenessProbe.httpGet.port"), "http"),
        (format!("{c}.readinessProbe.httpGet.path"), "/readyz"),
        (format!("{c}.readinessProbe.httpGet.port"), "http"),
        (format!("{c}.resources.requests.cpu"), "50m"),
        (format!("{c}.resources.requests.memory"), "64Mi"),
        (format!("{c}.resources.limits.memory"), "256Mi"),
        ("spec.strategy.rollingUpdate.maxUnavailable".to_owned(), "0"),
    ] {
        report.eq(case, &path, d.get(&path), expected);
    }
    report.eq(
        case,
        "capabilities dropped",
        Some(
            d.len(&format!("{c}.securityContext.capabilities.drop"))
                .to_string(),
        ),
        "1",
    );
    report.check(
        case,
        !d.has(&format!("{c}.securityContext.capabilities.add")),
        "no capability is added",
    );
    for key in ["config", "secret"] {
        let sum = d.get(&format!(
            "spec.template.metadata.annotations[\"checksum/{key}\"]"
        ));
        report.check(
            case,
            sum.as_deref()
                .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())),
            format!("checksum/{key} annotation must be a sha256, found {sum:?}"),
        );
    }
    // /tmp is writable.
    let tmp = d.find(&format!("{c}.volumeMounts"), "mountPath", "/tmp");
    report.check(case, tmp.is_some(), "/tmp must be mounted");
    let tmp_volume = d.find(&format!("{pod}.volumes"), "name", "tmp");
    report.check(
        case,
        tmp_volume
            .as_ref()
            .is_some_and(|v| d.has(&format!("{v}.emptyDir"))),
        "/tmp must be an emptyDir",
    );
    // And the advisory store, where synced advisory data is kept.
    for i in 0..d.len(&format!("{c}.volumeMounts")) {
        let mount = format!("{c}.volumeMounts[{i}]");
        let writable = d.get(&format!("{mount}.mountPath")).as_deref() == Some("/tmp")
            || d.get(&format!("{mount}.name")).as_deref() == Some("advisory-store");
        if !writable {
            report.eq(
                case,
                &format!("{mount}.readOnly"),
                d.get(&format!("{mount}.readOnly")),
                "true",
            );
        }
    }
    // The access key is a file the agent is told about, from a Secret.
    let file = env_value(d, "GITPROXY_ACCESS_KEY_FILE");
    let volume = d.find(&format!("{pod}.volumes"), "name", "access-key");
    let mount = d.find(&format!("{c}.volumeMounts"), "name", "access-key");
    let mounted = match (&volume, &mount) {
        (Some(v), Some(mnt)) => d
            .get(&format!("{mnt}.mountPath"))
            .zip(d.get(&format!("{v}.secret.items[0].path")))
            .map(|(dir, name)| format!("{dir}/{name}")),
        _ => None,
    };
    report.check(
        case,
        file.is_some() && file == mounted,
        format!("GITPROXY_ACCESS_KEY_FILE {file:?} must be the mounted access key {mounted:?}"),
    );
    report.check(
        case,
        !agent_env(m).contains("GITPROXY_ACCESS_KEY"),
        "the access key must come from a file, not GITPROXY_ACCESS_KEY",
    );
    report.eq(
        case,
        "GITPROXY_AGENT_ID from the pod name",
        env_path(d, "GITPROXY_AGENT_ID")
            .and_then(|e| d.get(&format!("{e}.valueFrom.fieldRef.fieldPath"))),
        "metadata.name",
    );
    // Only the contract's variables (the agent's settings table, through docs/configuration.md).
    let contract = crate::chart::contract::contract_env(&crate::project_root()).unwrap_or_default();
    report.check(
        case,
        contract.iter().any(|n| n == "GITPROXY_CLOUD_URL"),
        "docs/configuration.md must list the agent's settings (the configuration contract)",
    );
    for name in agent_env(m) {
        report.check(
            case,
            contract.contains(&name),
            format!("env {name} is not in the configuration contract"),
        );
    }
    // Own ServiceAccount without a token.
    let sa = m.one("ServiceAccount");
    report.eq(
        case,
        "ServiceAccount automountServiceAccountToken",
        sa.and_then(|s| s.get("automountServiceAccountToken")),
        "false",
    );
    report.eq(
        case,
        "serviceAccountName",
        d.get(&format!("{pod}.serviceAccountName")),
        sa.map_or("", |s| s.name.as_str()),
    );
    check_network_policy(case, m, report);
    // PodDisruptionBudget exactly when replicas > 1.
    let replicas: u32 = d
        .get("spec.replicas")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    report.check(
        case,
        (replicas > 1) == (m.all("PodDisruptionBudget").len() == 1),
        format!("a PodDisruptionBudget exactly when replicas ({replicas}) > 1"),
    );
    if let Some(pdb) = m.one("PodDisruptionBudget") {
        report.eq(
            case,
            "PDB selector app",
            pdb.get("spec.selector.matchLabels.app"),
            "gitproxy",
        );
    }
    // Soft spreading across nodes.
    report.eq(
        case,
        "topology spread whenUnsatisfiable",
        d.get(&format!(
            "{pod}.topologySpreadConstraints[0].whenUnsatisfiable"
        )),
        "ScheduleAnyway",
    );
    report.eq(case, "anti-affinity topologyKey", d.get(&format!("{pod}.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey")), "kubernetes.io/hostname");
    report.check(
        case,
        !d.has(&format!(
            "{pod}.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"
        )),
        "anti-affinity must be soft",
    );
}

/// No ingress unless metrics are enabled; egress to DNS, 443 and the Bitbucket ports.
fn check_network_policy(case: &str, m: &Manifest, report: &mut Report) {
    let Some(np) = m.one("NetworkPolicy") else {
        report.check(case, false, "exactly one NetworkPolicy expected");
        return;
    };
    report.eq(
        case,
        "NetworkPolicy podSelector app",
        np.get("spec.podSelector.matchLabels.app"),
        "gitproxy",
    );
    report.check(
        case,
        np.strings("spec.policyTypes") == ["Ingress", "Egress"],
        "policyTypes must be Ingress and Egress",
    );
    let egress: Vec<Vec<String>> = (0..np.len("spec.egress"))
        .map(|i| rule_ports(np, &format!("spec.egress[{i}]")))
        .collect();
    report.check(
        case,
        egress.first().is_some_and(|p| p == &["UDP/53", "TCP/53"]),
        format!("first egress rule must be DNS, found {egress:?}"),
    );
    report.eq(
        case,
        "DNS egress pods",
        np.get("spec.egress[0].to[0].podSelector.matchLabels.k8s-app"),
        "kube-dns",
    );
    report.check(
        case,
        egress.get(1).is_some_and(|p| p == &["TCP/443"]),
        format!("second egress rule must be the cloud on 443, found {egress:?}"),
    );
    report.check(
        case,
        egress.get(2).is_some_and(|p| p == &["TCP/443", "TCP/7990"]),
        format!("third egress rule must be Bitbucket on 443 and 7990, found {egress:?}"),
    );
    for (i, rule) in egress.iter().enumerate() {
        report.check(
            case,
            !rule.is_empty(),
            format!("egress rule {i} must name its ports (no port-wide rule)"),
        );
    }
    // A registries rule follows exactly when GITPROXY_REGISTRIES is set, a CI servers rule when
    // GITPROXY_CI_SERVERS is, an OSV mirror rule when GITPROXY_OSV_MIRROR is.
    let config = |key: &str| m.one("ConfigMap").is_some_and(|c| c.has(key));
    let mirror = m
        .one("Deployment")
        .is_some_and(|d| env_value(d, "GITPROXY_OSV_MIRROR").is_some());
    let extra = usize::from(config("data.GITPROXY_REGISTRIES"))
        + usize::from(config("data.GITPROXY_CI_SERVERS"))
        + usize::from(mirror);
    if m.one("Deployment").is_some_and(|d| {
        d.get("spec.template.spec.containers[0].envFrom[1].secretRef.name")
            .is_none()
    }) {
        report.eq(
            case,
            "egress rules without a proxy",
            Some(egress.len().to_string()),
            &(3 + extra).to_string(),
        );
    }
    if case != "everything" {
        report.eq(
            case,
            "NetworkPolicy ingress (no rule: nothing may connect in)",
            np.get("spec.ingress"),
            "[]",
        );
    }
}

/// The ports of one NetworkPolicy rule as `protocol/port`.
pub(super) fn rule_ports(np: &Object, rule: &str) -> Vec<String> {
    (0..np.len(&format!("{rule}.ports")))
        .map(|i| {
            let p = format!("{rule}.ports[{i}]");
            format!(
                "{}/{}",
                np.get(&format!("{p}.protocol")).unwrap_or_default(),
                np.get(&format!("{p}.port")).unwrap_or_default()
            )
        })
        .collect()
}
