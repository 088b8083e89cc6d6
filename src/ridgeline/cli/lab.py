"""The lab's subcommands: ``lab`` (one student, or a class with ``--class-dir``),
``class-report`` (the instructor's page) and ``export-site`` (the static WebAssembly lab).

Standard library only at import (``ridgeline --help`` loads no numpy); each handler reaches the
lab through :mod:`ridgeline.lab.server` when it runs.
"""

from __future__ import annotations

import json

from .parser import UsageError, _add_output, name, whole


def add_lab_parsers(sub) -> None:
    lab = sub.add_parser("lab", help="open the interactive lab in the browser")
    lab.add_argument("--host", default="127.0.0.1", type=name("an address"),
                     help="address to bind (default 127.0.0.1; anything else exposes the lab)")
    lab.add_argument("--port", type=whole(minimum=0, maximum=65_535), default=2718)
    lab.add_argument("--class-dir", metavar="DIR", type=name("a directory"),
                     help="classroom mode: each student types a name or ID and gets their own "
                          "ledger DIR/<id>.jsonl; the class report is served to the instructor "
                          "at a token URL printed at start")
    lab.add_argument("--report-port", type=whole(minimum=1, maximum=65_535), metavar="PORT",
                     help="classroom mode: the instructor's report port (default PORT+1)")
    _add_output(lab)
    lab.set_defaults(handler="cmd_lab")
    cr = sub.add_parser("class-report", help="the instructor's page from students' ledgers "
                        "or exported reports")
    cr.add_argument("inputs", nargs="+", metavar="DIR-or-REPORT",
                    help="class directories, ledgers (.jsonl) or exported reports (.json)")
    cr.add_argument("--out", default="class.html", metavar="FILE",
                    help="the HTML page to write (default class.html)")
    cr.add_argument("--names", action="store_true",
                    help="show student IDs (default: anonymous, 'Student 1', ...)")
    _add_output(cr)
    cr.set_defaults(handler="cmd_class_report")
    ex = sub.add_parser("export-site", help="build the lab as a static WebAssembly site")
    ex.add_argument("outdir", metavar="OUTDIR", type=name("a directory"))
    _add_output(ex)
    ex.set_defaults(handler="cmd_export_site")


def _unavailable(exc: ImportError) -> UsageError:
    if exc.name == "ridgeline.lab.server":
        return UsageError("the lab is not available in this installation "
                          "(ridgeline.lab.server is missing)")
    return UsageError(f"the lab cannot start: {exc}")


def cmd_lab(args) -> int:
    """Serve the lab. The default host is loopback; another address is used only because the
    user typed it with --host (the server itself warns that the lab is then exposed)."""
    try:
        from ..lab.server import serve
    except ImportError as exc:
        raise _unavailable(exc) from None
    if args.json:  # one line, before the server's own output
        print(json.dumps({"host": args.host, "port": args.port,
                          "url": f"http://{args.host}:{args.port}/"}), flush=True)
    extra = {}
    if args.class_dir is not None:
        extra = {"class_dir": args.class_dir, "report_port": args.report_port}
    elif args.report_port is not None:
        raise UsageError("--report-port goes with --class-dir")
    result = serve(args.host, args.port, **extra)
    return result if isinstance(result, int) else 0


def cmd_class_report(args) -> int:
    try:
        from ..lab.server import write_class_report
    except ImportError as exc:
        raise _unavailable(exc) from None
    out = write_class_report(args.inputs, args.out, names=args.names)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"wrote {out['out']}: {out['students']} student(s), {len(out['skipped'])} file(s) "
              "skipped")
        for path, why in out["skipped"].items():
            print(f"  skipped {path}: {why}")
    return 0


def cmd_export_site(args) -> int:
    try:
        from ..lab.server import export_site
    except ImportError as exc:
        raise _unavailable(exc) from None
    out = export_site(args.outdir)
    print(json.dumps(out) if args.json else f"wrote the static lab to {out['outdir']} "
          f"({out['files']} files; serve that folder with any static web server)")
    return 0
