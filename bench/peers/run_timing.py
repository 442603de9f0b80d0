"""Wall-clock timing of repeated runs for the peer scripts, as heed's bench
times its own (bench/run_timer.hpp): warm-ups first, then the median,
minimum and maximum of the timed runs, in milliseconds."""
import statistics
import time


def timed(fn, warmups, repeats):
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), min(times), max(times)
