"""The ``paramseal`` command. The only module that prints or exits."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from typing import Any

from .errors import InvalidKeyError, ParamsealError


def _render_tree(node: Any, indent: str, out: list[str], label: str = "") -> None:
    prefix = f"{indent}{label}"
    if type(node) is dict and "type" in node:
        kind = node["type"]
        if kind == "ndarray":
            where = f" tensor {node['tensor']}" if "tensor" in node else " (in schema)"
            if node.get("zstd"):
                where += " (zstd)"
            out.append(f"{prefix}ndarray {node['dtype']} {node['shape']}{where}")
            return
        if kind == "ref":
            out.append(f"{prefix}→ shared object #{node['id']}")
            return
        shared = f"  (shared #{node['id']})" if "id" in node else ""
        out.append(f"{prefix}{kind}{shared}")
        for key, value in node.items():
            if key in ("type", "id"):
                continue
            if key in ("params", "state") and type(value) is dict:
                for name, child in value.items():
                    _render_tree(child, indent + "  ", out, f"{name}: ")
            else:
                _render_tree(value, indent + "  ", out, f"{key}: ")
        return
    if type(node) is list:
        if all(type(x) is not dict and type(x) is not list for x in node):
            out.append(f"{prefix}[{', '.join(map(str, node))}]")
            return
        out.append(f"{prefix}list of {len(node)}")
        for i, child in enumerate(node):
            _render_tree(child, indent + "  ", out, f"[{i}] ")
        return
    out.append(f"{prefix}{node}")


def _inspect(args: argparse.Namespace) -> int:
    from ._api import inspect

    report = inspect(args.file).to_dict()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    lines = [
        f"file:        {args.file} ({report['file_size']:,} bytes, "
        f"format {report['format_version']})",
        f"root:        {report['root'] or '(encrypted)'}",
        "producer:    " + ", ".join(f"{k} {v}" for k, v in report["producer"].items()),
    ]
    if report["annotations"]:
        pairs = ", ".join(f"{k}={v}" for k, v in report["annotations"].items())
        lines.append(f"annotations: {pairs}")
    if report["encrypted"] is not None:
        e = report["encrypted"]
        kinds = ", ".join(f"{n} {kind}" for kind, n in e["recipients"].items())
        lines.append(f"encrypted:   age v1 ({kinds} stanza(s)); "
                     f"{e['plaintext_bytes'] or 0:,} bytes inside; content hidden")
    sigs = report["signatures"]
    if sigs:
        for s in sigs:
            lines.append(f"signature:   {s['alg']} {s['key_id']} ({s['status']})")
    else:
        lines.append("signatures:  none")
    for s in report["sections"]:
        lines.append(
            f"section:     {s['name']:<7} {s['length']:>12,} bytes  sha256:{s['sha256']}"
        )
    total = sum(t["bytes"] for t in report["tensors"])
    lines.append(f"tensors:     {len(report['tensors'])} ({total:,} bytes)")
    if report["tree"] is not None:
        lines.append("types:")
        _render_tree(report["tree"], "  ", lines)
    print("\n".join(lines))
    return 0


def _unpack(args: argparse.Namespace) -> int:
    from .directory import to_directory

    to_directory(args.file, args.folder)
    print(f"unpacked {args.file} into {args.folder}/", file=sys.stderr)
    return 0


def _pack(args: argparse.Namespace) -> int:
    from .directory import from_directory

    from_directory(args.folder, args.file)
    print(f"packed {args.folder}/ into {args.file}", file=sys.stderr)
    return 0


def _supported(args: argparse.Namespace) -> int:
    import time

    import sklearn

    from .sklearn import coverage

    wanted = set(args.only.split(",")) if args.only else None
    cases = [c for c in coverage.cases() if wanted is None or c.class_name in wanted]
    by_class: dict[str, list[coverage.Result]] = {}
    start = time.perf_counter()
    for case in cases:
        by_class.setdefault(case.class_name, []).append(coverage.run_case(case))
    classes: dict[str, dict[str, Any]] = {
        name: {
            "round_trips": all(r.ok for r in results),
            "configurations": [
                {"id": r.id, "status": r.status, "detail": r.detail, "bytes": r.bytes}
                for r in results
            ],
        }
        for name, results in sorted(by_class.items())
    }
    n_ok = sum(c["round_trips"] for c in classes.values())
    summary = {
        "scikit-learn": sklearn.__version__,
        "classes": len(classes),
        "round_trip": n_ok,
        "configurations": len(cases),
        "excluded": dict(coverage.EXCLUDED),
        "seconds": round(time.perf_counter() - start, 1),
    }
    if args.json:
        print(json.dumps({"summary": summary, "classes": classes}, indent=2))
        return 0
    for name, info in classes.items():
        configs = info["configurations"]
        mark = "yes" if info["round_trips"] else "NO "
        line = f"{mark}  {name}"
        if len(configs) > 1:
            line += f" ({len(configs)} configurations)"
        print(line)
        for config in configs:
            if config["status"] != "ok":
                print(f"       {config['id']}: {config['status']}: {config['detail'][:200]}")
    print(f"\n{n_ok} of {len(classes)} estimator classes round-trip with scikit-learn "
          f"{sklearn.__version__} ({len(cases)} configurations, {summary['seconds']} s)")
    return 0


def _passphrase(path: str | None) -> bytes | None:
    """The first line of a passphrase file (never a command-line argument: ps shows those)."""
    if path is None:
        return None
    with open(path, "rb") as f:
        passphrase = f.readline(4096).rstrip(b"\r\n")
    if not passphrase:
        raise InvalidKeyError(f"{path} holds an empty passphrase")
    return passphrase


def _keygen(args: argparse.Namespace) -> int:
    from .keys import PrivateKey

    private, public = f"{args.out}.key", f"{args.out}.pub"
    for path in (private, public):
        if os.path.exists(path) and not args.force:
            print(f"paramseal: error: {path} exists (use --force to replace it)",
                  file=sys.stderr)
            return 1
    if args.encryption:
        from . import _age, _io

        identity, recipient = _age.generate_identity()
        _io.write_chunks(private, [f"# public key: {recipient}\n{identity}\n".encode()],
                         mode=0o600)
        _io.write_chunks(public, [f"{recipient}\n".encode()])
        print(f"age encryption key {recipient}")
        print(f"identity:  {private} (mode 0600)\nrecipient: {public}")
        return 0
    key = PrivateKey.generate(args.algorithm)
    key.save(private, passphrase=_passphrase(args.passphrase_file))
    from . import _io

    _io.write_chunks(public, [key.public_key.to_pem()])
    print(f"{key.algorithm} key {key.key_id}")
    print(f"private key: {private} (mode 0600)\npublic key:  {public}")
    return 0


def _recipients(values: list[str]) -> list[str]:
    result = []
    for value in values:
        if value.startswith("age1"):
            result.append(value)
            continue
        with open(value, encoding="utf-8") as f:
            result.extend(line.strip() for line in f
                          if line.strip() and not line.lstrip().startswith("#"))
    return result


def _encrypt(args: argparse.Namespace) -> int:
    from .encryption import encrypt_file
    from .keys import PrivateKey

    if bool(args.recipient) == bool(args.passphrase_file):
        print("paramseal: error: give recipients (-r) or a passphrase file (-p), not both or "
              "neither", file=sys.stderr)
        return 1
    sign = PrivateKey.load(args.sign) if args.sign else None
    encrypt_file(args.file, args.out, recipients=_recipients(args.recipient) or None,
                 passphrase=_passphrase(args.passphrase_file), sign=sign)
    print(f"encrypted {args.file} into {args.out}")
    return 0


def _decrypt(args: argparse.Namespace) -> int:
    from .encryption import decrypt_file

    if bool(args.identity) == bool(args.passphrase_file):
        print("paramseal: error: give identity files (-i) or a passphrase file (-p), not both "
              "or neither", file=sys.stderr)
        return 1
    decrypt_file(args.file, args.out, identities=args.identity or None,
                 passphrase=_passphrase(args.passphrase_file))
    print(f"decrypted {args.file} into {args.out}")
    return 0


def _sign(args: argparse.Namespace) -> int:
    from .keys import PrivateKey
    from .signing import add_signature

    key = PrivateKey.load(args.key, passphrase=_passphrase(args.passphrase_file))
    add_signature(args.file, key)
    print(f"signed {args.file} with {key.algorithm} key {key.key_id}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .policy import Policy
    from .signing import verify

    if args.trust_store and args.trust:
        print("paramseal: error: give --trust-store or --trust, not both", file=sys.stderr)
        return 1
    if not args.trust_store and not args.trust:
        print("paramseal: error: name the trusted keys with --trust KEY.pub (or --trust-store)",
              file=sys.stderr)
        return 1
    try:
        if args.trust_store:
            policy = Policy.load(args.trust_store)
            if args.threshold is not None:  # the command line raises or lowers the store's
                policy = dataclasses.replace(policy, threshold=args.threshold)
        elif args.trust:
            policy = Policy.from_keys(
                args.trust, threshold=1 if args.threshold is None else args.threshold)
    except ValueError as exc:
        if isinstance(exc, ParamsealError):
            raise
        print(f"paramseal: error: {exc}", file=sys.stderr)
        return 1
    signers = verify(args.file, policy)
    print(f"verified {args.file}: {len(signers)} trusted signature(s), "
          f"{policy.threshold} required")
    for signer in signers:
        print(f"  {signer.name}  {signer.key.algorithm}  {signer.key.key_id}")
    return 0


def _export_model_signing(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .interop import export_model_signing
    from .keys import PrivateKey, PublicKey

    key = PrivateKey.load(args.key, passphrase=_passphrase(args.passphrase_file))
    source = Path(args.file)
    if args.out is not None:
        folder = Path(args.out)
    elif source.suffix:
        folder = source.with_suffix("")
    else:
        folder = source.with_name(source.name + ".model")
    done = export_model_signing(source, folder, key)
    names = ", ".join(name for name, _ in done.resources)
    print(f"wrote {done.folder}/ ({names})")
    print(f"wrote {done.signature} (OpenSSF model_signing, {key.algorithm} key {key.key_id})")
    public = Path(args.key).with_suffix(".pub")  # keygen's NAME.key -> NAME.pub, if it matches
    try:
        shown = str(public) if PublicKey.load(public) == key.public_key else "KEY.pub"
    except (OSError, ParamsealError):
        shown = "KEY.pub"
    print(f"verify with: model_signing verify key {done.folder} --signature {done.signature} "
          f"--public_key {shown}")
    return 0


def _policy(args: argparse.Namespace) -> Any:
    """The trust policy of ``--trust`` / ``--trust-store`` / ``--threshold``, or None."""
    from .policy import Policy

    if args.trust_store and args.trust:
        raise SystemExit("paramseal: error: give --trust-store or --trust, not both")
    if args.trust_store:
        policy = Policy.load(args.trust_store)
        if args.threshold is not None:
            policy = dataclasses.replace(policy, threshold=args.threshold)
        return policy
    if args.trust:
        return Policy.from_keys(args.trust,
                                threshold=1 if args.threshold is None else args.threshold)
    return None


def _open_store(args: argparse.Namespace, *, key: bool = False) -> Any:
    from ._remote import StderrProgress
    from .keys import PrivateKey
    from .store import Store

    actor = None
    if key:
        actor = PrivateKey.load(args.key, passphrase=_passphrase(args.passphrase_file))
    store = Store(args.location, key=actor, state=args.state)
    store.progress = StderrProgress(f"{args.name}")
    return store


def _store_push(args: argparse.Namespace) -> int:
    store = _open_store(args, key=True)
    version = store.push(args.file, args.name, tags=args.tag)
    tags = f" (tags: {', '.join(args.tag)})" if args.tag else ""
    print(f"pushed {args.file} as {args.name} version {version}{tags}")
    return 0


def _store_pull(args: argparse.Namespace) -> int:
    from . import _io

    store = _open_store(args)
    policy = _policy(args)
    number = store.resolve(args.name, args.version, tag=args.tag)
    data = store.fetch(args.name, number, policy=policy, allow_rollback=args.allow_rollback)
    out = args.out or f"{args.name}-v{number}.paramseal"
    _io.write_chunks(out, [data])
    trust = "signatures verified" if policy is not None else "signatures not checked (no --trust)"
    print(f"pulled {args.name} version {number} to {out} ({len(data):,} bytes; log and digest "
          f"verified; {trust})")
    return 0


def _store_versions(args: argparse.Namespace) -> int:
    import datetime as dt

    store = _open_store(args)
    for v in store.versions(args.name):
        when = dt.datetime.fromtimestamp(v.pushed, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        tags = ",".join(v.tags) or "-"
        print(f"{v.number:>5}  {when}  {v.size:>12,}  {tags:<16}  sha256:{v.blob[:16]}…  "
              f"by {v.actor[:23]}…")
    return 0


def _store_tag(args: argparse.Namespace) -> int:
    store = _open_store(args, key=True)
    store.tag(args.name, args.version, args.tag_name)
    print(f"tagged {args.name} version {args.version} as {args.tag_name}")
    return 0


def _print_log(entries: Any) -> None:
    import datetime as dt

    for e in entries:
        when = dt.datetime.fromtimestamp(e.time, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        what = (f"push v{e.version}" + (f" tags {','.join(e.tags)}" if e.tags else "")
                if e.action == "push" else f"tag  {','.join(e.tags)} -> v{e.version}")
        print(f"{e.seq:>5}  {when}  {what:<28}  by {e.actor.key_id}")


def _store_log(args: argparse.Namespace) -> int:
    _print_log(_open_store(args).log(args.name))
    return 0


def _store_verify_log(args: argparse.Namespace) -> int:
    policy = _policy(args)
    entries = _open_store(args).verify_log(args.name, policy)
    _print_log(entries)
    who = "every actor trusted" if policy is not None else "actors not checked (no --trust)"
    print(f"verified the log of {args.name}: {len(entries)} entries, signatures and hash chain "
          f"hold; {who}")
    return 0


def _store_parser(sub: Any) -> None:
    store = sub.add_parser(
        "store", help="a versioned model store on a folder or URL (s3://…, gs://…, az://…)",
        description="Model store commands. S3 credentials and endpoint come from the usual "
                    "AWS environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
                    "AWS_ENDPOINT_URL); remote locations need the remote extra.")
    commands = store.add_subparsers(dest="store_command", required=True)

    def command(name: str, run: Any, help: str, *, key: bool = False,
                trust: bool = False) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help)
        p.add_argument("location", help="the store: a folder or a URL")
        p.add_argument("name", help="the model's name in the store")
        p.add_argument("--state", metavar="FILE",
                       help="this client's memory of accepted versions (default "
                            "$PARAMSEAL_STATE or ~/.local/state/paramseal/stores.json)")
        if key:
            p.add_argument("--key", required=True, metavar="NAME.key",
                           help="your signing key: it signs the log entry (and nothing else)")
            p.add_argument("--passphrase-file", metavar="FILE")
        if trust:
            p.add_argument("--trust", action="append", default=[], metavar="KEY.pub")
            p.add_argument("--threshold", type=int, default=None, metavar="K")
            p.add_argument("--trust-store", metavar="FILE")
        p.set_defaults(run=run)
        return p

    p = command("push", _store_push, "store a paramseal file as the next version", key=True)
    p.add_argument("file")
    p.add_argument("--tag", action="append", default=[], help="move this tag to the new version")
    p = command("pull", _store_pull, "fetch and verify a version into a file", trust=True)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--version", type=int)
    group.add_argument("--tag")
    p.add_argument("-o", "--out", metavar="FILE", help="default: NAME-vN.paramseal")
    p.add_argument("--allow-rollback", action="store_true",
                   help="accept a version older than one this client accepted before")
    command("versions", _store_versions, "list the versions and their tags")
    p = command("tag", _store_tag, "move a tag to a version (moving it back is a rollback)",
                key=True)
    p.add_argument("version", type=int)
    p.add_argument("tag_name", metavar="tag")
    command("log", _store_log, "show the audit log (verified)")
    command("verify-log", _store_verify_log,
            "verify the audit log; with --trust, also who wrote each entry", trust=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paramseal", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="describe a file without loading it")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=_inspect)
    p = sub.add_parser("unpack", help="write a file's header and sections as separate files")
    p.add_argument("file")
    p.add_argument("folder")
    p.set_defaults(run=_unpack)
    p = sub.add_parser("pack", help="put an unpacked folder back into one file")
    p.add_argument("folder")
    p.add_argument("file")
    p.set_defaults(run=_pack)
    p = sub.add_parser("keygen", help="create a signing key pair: NAME.key and NAME.pub")
    p.add_argument("--out", required=True, metavar="NAME")
    p.add_argument("--algorithm", choices=["ed25519", "ecdsa-p256"], default="ed25519")
    p.add_argument("--passphrase-file", metavar="FILE",
                   help="encrypt the private key with the first line of FILE")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--encryption", action="store_true",
                   help="an age encryption key instead (NAME.key: AGE-SECRET-KEY-1..., "
                        "NAME.pub: age1...)")
    p.set_defaults(run=_keygen)
    p = sub.add_parser("encrypt", help="encrypt a file to age recipients or a passphrase")
    p.add_argument("file")
    p.add_argument("-r", "--recipient", action="append", default=[], metavar="AGE1_OR_FILE",
                   help="an age1... recipient, or a file of them; repeat for several")
    p.add_argument("-p", "--passphrase-file", metavar="FILE",
                   help="encrypt with the passphrase on the first line of FILE instead")
    p.add_argument("--sign", metavar="KEY", help="also sign the encrypted file with this key")
    p.add_argument("-o", "--out", required=True)
    p.set_defaults(run=_encrypt)
    p = sub.add_parser("decrypt", help="decrypt a file to a plain (unsigned) paramseal file")
    p.add_argument("file")
    p.add_argument("-i", "--identity", action="append", default=[], metavar="FILE",
                   help="an age identity file; repeat for several")
    p.add_argument("-p", "--passphrase-file", metavar="FILE")
    p.add_argument("-o", "--out", required=True)
    p.set_defaults(run=_decrypt)
    p = sub.add_parser("sign", help="add a signature to a file, in place")
    p.add_argument("file")
    p.add_argument("--key", required=True, metavar="NAME.key")
    p.add_argument("--passphrase-file", metavar="FILE")
    p.set_defaults(run=_sign)
    p = sub.add_parser("verify", help="check a file's signatures against trusted keys")
    p.add_argument("file")
    p.add_argument("--trust", action="append", default=[], metavar="KEY.pub",
                   help="a trusted public key (PEM or OpenSSH); repeat for several")
    p.add_argument("--threshold", type=int, default=None, metavar="K",
                   help="distinct trusted signers required (default 1, or the trust store's)")
    p.add_argument("--trust-store", metavar="FILE", help="a TOML trust store instead")
    p.set_defaults(run=_verify)
    p = sub.add_parser(
        "export-model-signing",
        help="unpack a file into a folder signed for OpenSSF model_signing (model.sig)",
    )
    p.add_argument("file")
    p.add_argument("--key", required=True, metavar="KEY.pem",
                   help="an ECDSA P-256 private key (model_signing takes no Ed25519 keys)")
    p.add_argument("--passphrase-file", metavar="FILE")
    p.add_argument("--out", metavar="DIR",
                   help="the folder to create (default: FILE without its extension)")
    p.set_defaults(run=_export_model_signing)
    p = sub.add_parser(
        "supported",
        help="fit, write, read back and compare every scikit-learn estimator (takes a minute)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--only", metavar="A,B", help="only these class names")
    p.set_defaults(run=_supported)
    _store_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ParamsealError as exc:
        for i, line in enumerate(exc.diagnostics().splitlines()):
            print(f"paramseal: {'error: ' if i == 0 else ''}{line}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (`paramseal inspect f | head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"paramseal: error: {(exc.strerror or str(exc)).lower()}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
