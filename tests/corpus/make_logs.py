"""Writes tests/corpus/*: small files in each real format (see tests/corpus/README.md)."""

from pathlib import Path

C = Path("tests/corpus")
CTX = '"controller":"helmrelease","controllerGroup":"helm.toolkit.fluxcd.io","controllerKind":"HelmRelease","HelmRelease":{"name":"podinfo","namespace":"apps"},"namespace":"apps","name":"podinfo"'
R1 = (
    '{"level":"info","ts":"2024-02-12T09:30:00.101Z","msg":"release out-of-sync with desired state: release chart changed",'
    + CTX
    + ',"reconcileID":"8f1c2f0a-3e55-4c8e-9a7e-0d9d8b6a4b21"}'
)
R2 = (
    '{"level":"info","ts":"2024-02-12T09:30:00.155Z","msg":"running \'upgrade\' action with timeout of 5m0s",'
    + CTX
    + ',"reconcileID":"8f1c2f0a-3e55-4c8e-9a7e-0d9d8b6a4b21"}'
)
R3 = (
    '{"level":"error","ts":"2024-02-12T09:41:07.310Z","msg":"Reconciler error",'
    + CTX
    + ',"reconcileID":"c2e4a9b1-7f60-4d43-a0f5-1b9e7c3d5a08","error":"terminal error: exceeded maximum retries: cannot upgrade release"}'
)
PANIC = [
    "panic: runtime error: invalid memory address or nil pointer dereference [recovered]",
    "\tpanic: runtime error: invalid memory address or nil pointer dereference",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x8 pc=0x13fc52c]",
    "",
    "goroutine 370 [running]:",
    "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).Reconcile.func1()",
    "\t/go/pkg/mod/sigs.k8s.io/controller-runtime@v0.16.3/pkg/internal/controller/controller.go:116 +0x1e5",
    "panic({0x1c2d3e0?, 0x3a4b5c0?})",
    "\t/usr/local/go/src/runtime/panic.go:914 +0x21f",
]
SC = '{"level":"info","ts":"2023-07-10T21:58:21.694Z","msg":"artifact up-to-date with remote revision: \'0.21.0\'","controller":"helmchart","controllerGroup":"source.toolkit.fluxcd.io","controllerKind":"HelmChart","HelmChart":{"name":"microservices-demo-frontend","namespace":"flux-system"},"namespace":"flux-system","name":"microservices-demo-frontend","reconcileID":"34d982c1-fd9d-4079-85f0-45d0dafc0f8e"}'


def w(rel, lines, end="\n"):
    p = C / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(lines) + end, encoding="utf-8")


# zap JSON as troubleshoot saves it (no prefix), with a Go panic after the last record.
w(
    "zap-json/cluster-resources/pods/logs/flux-system/helm-controller-5d8b9c7f4-x2x9k/manager-previous.log",
    [R1, R2] + PANIC,
)
# source-controller, zap JSON (HelmChart keys).
w("zap-json/source-controller.log", [SC])
# kubectl logs --timestamps: RFC3339NanoFixed (9 digits) + space; every physical line prefixed.
K = "2024-02-12T09:30:00.{:09d}Z "
w(
    "kubectl-timestamps/namespaces/flux-system/pods/helm-controller-5d8b9c7f4-x2x9k/manager/manager/logs/current.log",
    [
        K.format(101200300) + R1,
        K.format(155400500) + R2,
        K.format(900000000) + PANIC[0],
        K.format(900000001) + PANIC[1],
    ],
)
# CRI file: zap writes to stderr; a record split in P partials joined up to the F line.
half = len(R2) // 2
w(
    "cri/var/log/pods/flux-system_helm-controller-5d8b9c7f4-x2x9k_6f1c1f2e-1b2a-4c1d-9e8f-0a1b2c3d4e5f/manager/0.log.20240212-093500",
    [
        "2024-02-12T09:30:00.101200300Z stderr F " + R1,
        "2024-02-12T09:30:00.155400500Z stderr P " + R2[:half],
        "2024-02-12T09:30:00.155400501Z stderr F " + R2[half:],
        "2024-02-12T09:41:07.310000000Z stderr F " + R3,
    ],
)
# zap console encoding (reference/helm-controller.md §1.1, §1.2), stack trace after an error.
CONSOLE_CTX = '{"controller": "helmrelease", "controllerGroup": "helm.toolkit.fluxcd.io", "controllerKind": "HelmRelease", "HelmRelease": {"name":"podinfo","namespace":"apps"}, "namespace": "apps", "name": "podinfo", "reconcileID": "8f1c2f0a-3e55-4c8e-9a7e-0d9d8b6a4b21"}'
w(
    "zap-console/helm-controller.log",
    [
        "2024-02-12T09:30:00.000Z\tINFO\tsetup\tstarting manager",
        "2024-02-12T09:30:42.870Z\tINFO\trelease in-sync with desired state\t" + CONSOLE_CTX,
        "2024-02-12T09:41:07.310Z\tERROR\tReconciler error\t"
        + CONSOLE_CTX[:-1]
        + ', "error": "terminal error: exceeded maximum retries: cannot upgrade release"}',
        "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).reconcileHandler",
        "\tsigs.k8s.io/controller-runtime@v0.16.3/pkg/internal/controller/controller.go:329",
    ],
)
# flux logs: flux2 cmd/flux/testdata/logs/all-logs.txt (verbatim, trailing spaces kept) + helm lines.
w(
    "flux-logs/all-logs.txt",
    [
        "2022-08-02T12:55:34.419Z info GitRepository/podinfo.default - no changes since last reconcilation: observed revision ",
        "2022-08-02T12:56:04.679Z error GitRepository/flux-system.flux-system - no changes since last reconcilation: observed revision ",
        "2022-08-02T12:56:34.961Z error Kustomization/flux-system.flux-system - no changes since last reconcilation: observed revision ",
        "2022-08-02T12:56:34.961Z info Kustomization/podinfo.default - no changes since last reconcilation: observed revision ",
        "2024-02-12T09:41:07.310Z error HelmRelease/podinfo.apps - Reconciler error terminal error: exceeded maximum retries: cannot upgrade release",
        "2024-02-12T09:30:00.155Z info HelmRelease/podinfo.apps - running 'upgrade' action with timeout of 5m0s ",
    ],
)
# stern -A --timestamps --color always: <ns> <pod> <container> <ts in Local, with offset> <msg>
A = lambda code, s: f"\x1b[{code}m{s}\x1b[0m"
w(
    "stern/stern-flux-system.txt",
    [
        A("32", "flux-system")
        + " "
        + A("36", "helm-controller-5d8b9c7f4-x2x9k")
        + " "
        + A("33", "manager")
        + " 2024-02-12T10:30:00.101200300+01:00 "
        + R1,
        A("32", "flux-system")
        + " "
        + A("36", "helm-controller-5d8b9c7f4-x2x9k")
        + " "
        + A("33", "manager")
        + " 2024-02-12T10:30:00.155400500+01:00 "
        + R2,
    ],
)
# kubectl cluster-info dump --output-directory: <ns>/<pod>/logs.txt with START/END markers.
w(
    "cluster-info-dump/flux-system/helm-controller-5d8b9c7f4-x2x9k/logs.txt",
    [
        "==== START logs for container manager of pod flux-system/helm-controller-5d8b9c7f4-x2x9k ====",
        R1,
        R2,
        "==== END logs for container manager of pod flux-system/helm-controller-5d8b9c7f4-x2x9k ====",
    ],
)
# logcli query -o jsonl: keys sorted by Go's encoder, timestamp in Local.
import json


def lc(ts, line):
    return json.dumps(
        {
            "labels": {"container": "manager", "namespace": "flux-system", "pod": "helm-controller-5d8b9c7f4-x2x9k"},
            "line": line,
            "timestamp": ts,
        },
        separators=(",", ":"),
    )


w("logcli/query.jsonl", [lc("2024-02-12T10:30:00.101+01:00", R1), lc("2024-02-12T10:41:07.31+01:00", R3)])
# kubectl logs -l app=helm-controller --prefix --timestamps (kubectl pkg/cmd/logs/logs.go:
# `[pod/<pod>/<container>] ` before each line; the kubelet's RFC3339Nano time after it), a
# panic's lines and a text line of a second container.
PP = "[pod/helm-controller-5d8b9c7f4-x2x9k/manager] "
w(
    "kubectl-prefix/helm-controller.log",
    [
        PP + "2024-02-12T09:30:00.101234567Z " + R1,
        PP + "2024-02-12T09:30:00.155000000Z " + R2,
        *(PP + "2024-02-12T09:40:59.000000000Z " + line for line in PANIC[:2]),
        PP + "2024-02-12T09:41:07.310000000Z " + R3,
        "[pod/helm-controller-5d8b9c7f4-x2x9k/kube-rbac-proxy] 2024-02-12T09:41:08.000000000Z I0212 09:41:08.000000"
        "       1 main.go:210] Listening securely",
    ],
)
