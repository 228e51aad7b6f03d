"""Scan processing speed: a 600-dpi scan of a 42 mm round seal, from upload bytes to the
processed transparent PNG with its size and shape (`coo.scan.process`). Goal: median ≤ 100 ms.
The ratio compares it with a bare Pillow open + convert("RGB") of the same file (decoding only)."""
import io
import statistics
import time

from PIL import Image

from bench.support import setting
from coo import scan
from coo.services import sample_scans

RUNS = setting("BENCH_SEAL_RUNS", 25, 2)


def _interleaved_medians_ms(funcs, runs=RUNS):
    """Median wall time of each function, run in turns so both see the same machine load."""
    for func in funcs:
        func()   # warm: imports, caches
    times = [[] for _ in funcs]
    for _ in range(runs):
        for func, bucket in zip(funcs, times):
            started = time.perf_counter()
            func()
            bucket.append((time.perf_counter() - started) * 1000)
    return [statistics.median(bucket) for bucket in times]


def main():
    data = sample_scans.round_seal(42.0, 600)
    result = scan.process(data, scan.SEAL)
    assert result.shape.value == "round" and abs(float(result.width_mm) - 42) <= 1, result
    process_ms, bare_ms = _interleaved_medians_ms([lambda: scan.process(data, scan.SEAL),
                                                   lambda: Image.open(io.BytesIO(data)).convert("RGB")])
    print(f"# scan {len(data) // 1024} KB PNG, {result.width_px}×{result.height_px} px of ink, "
          f"measured {result.width_mm}×{result.height_mm} mm {result.shape.label}", flush=True)
    print(f"BENCH name=seal_process_ms value={process_ms:.1f} unit=ms", flush=True)
    cpu = []
    for _ in range(RUNS):
        started = time.process_time()
        scan.process(data, scan.SEAL)
        cpu.append((time.process_time() - started) * 1000)
    # CPU time is what the work costs when other processes share the cores.
    print(f"BENCH name=seal_process_cpu_ms value={statistics.median(cpu):.1f} unit=ms", flush=True)
    print(f"BENCH name=seal_decode_only_ms value={bare_ms:.1f} unit=ms", flush=True)
    print(f"BENCH name=seal_process_vs_decode value={process_ms / bare_ms:.2f} unit=ratio", flush=True)


if __name__ == "__main__":
    main()
