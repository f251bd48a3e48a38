// gbench_c.cc — the C++ side of bench/gbench_c.h, lrb's C interface to Google Benchmark 1.7.1.
//
// Google Benchmark has no C API, so every gb_ function below is a one-line forward to the library. The
// opaque C handles are the library's own objects reinterpreted: a gb_bench* is a
// benchmark::internal::Benchmark* and a gb_state* is a benchmark::State*; the shim owns no memory of
// its own (the library owns the families it registers, and the State lives on the runner's stack) but
// the names of the unitless counters, which its display reporter shows without "/s".
// Callbacks are wrapped in a lambda that holds the C function pointer and the user pointer by value, so
// nothing has to outlive registration except what `user` points to.
//
// Exceptions: these calls can throw only std::bad_alloc (std::string, std::vector, std::map), but gb_init's
// check of the filter, which catches the std::regex_error it is there to find. Nothing on
// the way up (C benchmark bodies, the library's runner, lrb's C main) catches it, so it ends in
// std::terminate: an abort, which is what lrb wants for out-of-memory anyway. C frames have no cleanups
// to skip, so no try/catch wrappers are needed.

#include "gbench_c.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <regex>
#include <set>
#include <string>
#include <vector>

// The header passes counter flags through unchanged: check that they are the library's values.
static_assert(GB_COUNTER_DEFAULT == static_cast<unsigned>(benchmark::Counter::kDefaults), "flags");
static_assert(GB_COUNTER_RATE == static_cast<unsigned>(benchmark::Counter::kIsRate), "flags");
static_assert(GB_COUNTER_AVG_THREADS == static_cast<unsigned>(benchmark::Counter::kAvgThreads), "flags");
static_assert(GB_COUNTER_ITERATION_INVARIANT == static_cast<unsigned>(benchmark::Counter::kIsIterationInvariant),
              "flags");
static_assert(GB_COUNTER_AVG_ITERATIONS == static_cast<unsigned>(benchmark::Counter::kAvgIterations), "flags");
static_assert(GB_COUNTER_INVERT == static_cast<unsigned>(benchmark::Counter::kInvert), "flags");
static_assert((GB_COUNTER_UNITLESS & (GB_COUNTER_RATE | GB_COUNTER_AVG_THREADS | GB_COUNTER_ITERATION_INVARIANT |
                                      GB_COUNTER_AVG_ITERATIONS | GB_COUNTER_INVERT)) == 0,
              "lrb's flag is not one of the library's");

namespace
{

using Bench = benchmark::internal::Benchmark;

Bench *to_bench(gb_bench *b)
{
    return reinterpret_cast<Bench *>(b);
}
benchmark::State *to_state(gb_state *st)
{
    return reinterpret_cast<benchmark::State *>(st);
}
const benchmark::State *to_state(const gb_state *st)
{
    return reinterpret_cast<const benchmark::State *>(st);
}

// ComputeStatistics takes a plain function pointer (StatisticsFunc*), not a std::function, so the
// statistic must be a free function, not a capturing lambda. The library only computes statistics
// when there are at least two repetitions; the empty case is guarded for safety only.
double min_of(const std::vector<double> &v)
{
    if (v.empty())
        return 0.0;
    return *std::min_element(v.begin(), v.end());
}

// True if `arg` is one of lrb's own flags, which the caller has already read and the library must
// not see (ReportUnrecognizedArguments would reject it).
bool is_lrb_flag(const char *arg)
{
    return arg != nullptr && std::strncmp(arg, "--lrb-", 6) == 0;
}

// The counters set with GB_COUNTER_UNITLESS. Written by benchmark bodies (one at a time: lrb runs no
// benchmark::State threads) and read by the display reporter between runs.
std::set<std::string> &unitless_names()
{
    static std::set<std::string> names;
    return names;
}

// The display (console) reporter the library would use, seeing each unitless counter without kIsRate:
// the library has already divided its value by the time (Finish, before any reporter), so the flag only
// decides the console's "/s" suffix. The file reporter (--benchmark_out) gets the runs as they are.
class UnitlessDisplay : public benchmark::BenchmarkReporter
{
  public:
    // CreateDefaultDisplayReporter returns a reporter the library keeps for the process: not deleted here.
    UnitlessDisplay() : inner_(benchmark::CreateDefaultDisplayReporter()) {}
    bool ReportContext(const Context &context) override { return inner_->ReportContext(context); }
    void ReportRuns(const std::vector<Run> &runs) override
    {
        std::vector<Run> shown(runs);
        for (Run &r : shown)
            for (auto &c : r.counters)
                if (unitless_names().count(c.first))
                    c.second.flags =
                        static_cast<benchmark::Counter::Flags>(c.second.flags & ~benchmark::Counter::kIsRate);
        inner_->ReportRuns(shown);
    }
    void Finalize() override { inner_->Finalize(); }

  private:
    benchmark::BenchmarkReporter *inner_;
};

} // namespace

extern "C" {

int gb_init(int *argc, char **argv)
{
    // Compact argv in place, keeping order (argv[0] is the program name and is never a flag).
    int kept = 0;
    for (int i = 0; i < *argc; ++i)
        if (i == 0 || !is_lrb_flag(argv[i]))
            argv[kept++] = argv[i];
    *argc = kept;

    // Initialize removes the --benchmark_* flags it understands; anything left besides argv[0] is
    // unknown (a typo, or a positional argument). ReportUnrecognizedArguments prints each of them.
    benchmark::Initialize(argc, argv);
    // Restore the C convention argv[argc] == NULL: neither our compaction nor the library's (which shifts
    // entries down and leaves the old last one in place) writes it. The slot exists because argc only
    // shrank, and the original argv[argc] is the terminator.
    argv[*argc] = nullptr;
    if (benchmark::ReportUnrecognizedArguments(*argc, argv))
        return 1;
    // The filter compiled as the library will compile it (std::regex, POSIX extended, after a leading "-"
    // that negates it; "all" is "."), so that a typo is an error now rather than, after the golden gate,
    // the library's "Could not compile" line and an exit status of 0.
    const std::string filter = benchmark::GetBenchmarkFilter();
    const std::string spec = filter == "all" ? "." : filter.empty() || filter[0] != '-' ? filter : filter.substr(1);
    try {
        std::regex re(spec, std::regex::extended | std::regex::nosubs);
    } catch (const std::regex_error &e) {
        std::fprintf(stderr, "lrb_bench: --benchmark_filter=%s: not a valid regular expression (%s)\n", filter.c_str(),
                     e.what());
        return 1;
    }
    return 0;
}

void gb_add_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

gb_bench *gb_register(const char *name, gb_fn fn, void *user)
{
    // Captured by value: the lambda object lives inside the library's Benchmark for the whole run.
    // The Benchmark constructor copies `name` into a std::string.
    Bench *b = benchmark::RegisterBenchmark(
        name, [fn, user](benchmark::State &st) { fn(reinterpret_cast<gb_state *>(&st), user); });
    return reinterpret_cast<gb_bench *>(b);
}

void gb_args(gb_bench *b, const int64_t *v, int n)
{
    to_bench(b)->Args(std::vector<int64_t>(v, v + n));
}

void gb_arg_names(gb_bench *b, const char *const *names, int n)
{
    to_bench(b)->ArgNames(std::vector<std::string>(names, names + n));
}

void gb_use_manual_time(gb_bench *b)
{
    to_bench(b)->UseManualTime();
}

void gb_unit(gb_bench *b, int unit)
{
    // An explicit switch rather than a cast: the GB_ values are lrb's, not guaranteed to match the
    // library's enumerators. An unknown value leaves the family's unit unchanged.
    switch (unit) {
    case GB_NS:
        to_bench(b)->Unit(benchmark::kNanosecond);
        break;
    case GB_US:
        to_bench(b)->Unit(benchmark::kMicrosecond);
        break;
    case GB_MS:
        to_bench(b)->Unit(benchmark::kMillisecond);
        break;
    case GB_S:
        to_bench(b)->Unit(benchmark::kSecond);
        break;
    default:
        break;
    }
}

void gb_fixed_iterations(gb_bench *b, int64_t n)
{
    to_bench(b)->Iterations(n);
}

void gb_add_min_statistic(gb_bench *b)
{
    to_bench(b)->ComputeStatistics("min", min_of);
}

size_t gb_run(void)
{
    UnitlessDisplay display;
    return benchmark::RunSpecifiedBenchmarks(&display);
}

void gb_shutdown(void)
{
    benchmark::Shutdown();
}

int gb_keep_running(gb_state *st)
{
    return to_state(st)->KeepRunning() ? 1 : 0;
}

int gb_keep_running_batch(gb_state *st, int64_t n)
{
    return to_state(st)->KeepRunningBatch(n) ? 1 : 0;
}

int64_t gb_range(const gb_state *st, int i)
{
    return to_state(st)->range(static_cast<std::size_t>(i));
}

int64_t gb_iterations(const gb_state *st)
{
    return to_state(st)->iterations();
}

void gb_set_iteration_time(gb_state *st, double seconds)
{
    to_state(st)->SetIterationTime(seconds);
}

void gb_set_items_processed(gb_state *st, int64_t items)
{
    to_state(st)->SetItemsProcessed(items);
}

void gb_set_bytes_processed(gb_state *st, int64_t bytes)
{
    to_state(st)->SetBytesProcessed(bytes);
}

void gb_counter(gb_state *st, const char *name, double value, unsigned flags)
{
    // GB_COUNTER_* are the bit values of Counter::Flags. The enum has no fixed underlying type and its
    // enumerators span int (kInvert = 1 << 31 is INT_MIN), so 0x80000000u is outside its value range as
    // an unsigned; converting through int first (two's complement, C++17 implementation-defined, gcc
    // and clang wrap) keeps every combination of bits a valid Flags value.
    if (flags & GB_COUNTER_UNITLESS)
        unitless_names().insert(name);
    const auto f = static_cast<benchmark::Counter::Flags>(static_cast<int>(flags & ~GB_COUNTER_UNITLESS));
    to_state(st)->counters[name] = benchmark::Counter(value, f);
}

void gb_set_label(gb_state *st, const char *label)
{
    to_state(st)->SetLabel(label);
}

void gb_skip_with_error(gb_state *st, const char *msg)
{
    to_state(st)->SkipWithError(msg);
}

void gb_pause_timing(gb_state *st)
{
    to_state(st)->PauseTiming();
}

void gb_resume_timing(gb_state *st)
{
    to_state(st)->ResumeTiming();
}

} // extern "C"
