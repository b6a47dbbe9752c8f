"""`make bench`: run every benchmark under benchmarks/, print their tables, write JSON under var/bench/."""

import argparse
import importlib
import json
import platform
import time
from pathlib import Path

BENCHMARKS = ["web", "registry_search", "linkage", "darp", "allocation", "bookings", "city_day"]


def main():
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", default=BENCHMARKS, help=f"which to run (default: {' '.join(BENCHMARKS)})")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "bench"),
                        help="benchmark data folder (default ../shared/bench)")
    parser.add_argument("--out", default="var/bench", help="where JSON results go")
    parser.add_argument("--quick", action="store_true", help="a short run, to check the benchmarks themselves")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    machine = {"python": platform.python_version(), "machine": platform.machine(), "processor": platform.processor(),
               "cores": __import__("os").cpu_count()}
    for name in args.names:
        module = importlib.import_module(f"benchmarks.{name}")
        started = time.time()
        result = module.run(data=Path(args.data), quick=args.quick)
        result.update({"benchmark": name, "machine": machine, "seconds": round(time.time() - started, 1),
                       "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        path = out / f"{name}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
        print(result.get("table", ""))
        print(f"-> {path}")


if __name__ == "__main__":
    main()
