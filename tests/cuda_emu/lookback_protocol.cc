/*
 * lookback_protocol.cc — the look-back of kernels/cuda/lookback.cuh on states set up by hand, one warp on the
 * CPU emulation (cuda_emu.cc). The kernel checks of lrb_cuda_emu run it for real, but on three blocks at a
 * time, so a walk there passes at most two aggregates and never leaves the window of 32 predecessors that
 * warp 0 reads at once. Here each case lays out the flags of a row (and of the other channel groups between
 * its tiles) as a GPU's hundreds of blocks can leave them, runs look_back for one tile, and checks which
 * prefix it took (the carry is an order-sensitive hash of the prefix and of every aggregate it stepped
 * through; values not yet stored are poison), what it published, and the predecessor it retired. Flags that
 * other blocks would set later are set by a host thread, while the warp waits for them.
 *
 * Usage: lrb_lookback_protocol (exit 0 when every case passes)
 */
#include "cuda_runtime.h"
#include "lookback.cuh"

#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <thread>
#include <utility>
#include <vector>

using namespace lrb_lookback;

namespace
{

constexpr int CW = 2;       /* channels (lanes 0 and 1 carry one each) */
constexpr int TILES = 1024; /* flags of the workspace */

/* a state stepped through a value: order-sensitive, so a carry names the prefix and the aggregates in order */
uint64_t hash_step(uint64_t c, uint64_t v)
{
    return c * 1000003u + v;
}
uint64_t pre_value(int64_t q, int ch)
{
    return 5000 + 7 * (uint64_t)q + (uint64_t)ch;
}
uint64_t agg_value(int64_t q, int ch)
{
    return 90000 + 13 * (uint64_t)q + (uint64_t)ch;
}
uint64_t initial_value(int ch)
{
    return 77 + (uint64_t)ch;
}
/* a state stepped through tile `tile` itself (the side's `through`) */
uint64_t through_tile(uint64_t c, int64_t tile)
{
    return hash_step(c, 1000 + (uint64_t)tile);
}
/* what an aggregate or prefix not yet stored holds */
constexpr uint64_t UNSTORED = 0xbadbadbadull;

struct workspace {
    int flags[TILES];
    uint64_t agg[TILES][CW], pre[TILES][CW];
    bool agg_put[TILES], pre_put[TILES]; /* set by every lane that stores: atomically, so TSan sees no race */
};

/* lookback.cuh's side for channel `ch` of tile `tile` */
struct hash_side {
    workspace *w;
    int64_t tile;
    int ch;
    uint64_t initial() const { return initial_value(ch); }
    void put_agg(int64_t q) const
    {
        w->agg[q][ch] = agg_value(q, ch);
        __atomic_store_n(&w->agg_put[q], true, __ATOMIC_RELAXED);
    }
    uint64_t load_agg(int64_t q) const { return w->agg[q][ch]; }
    uint64_t load_pre(int64_t q) const { return w->pre[q][ch]; }
    uint64_t step(uint64_t c, uint64_t a) const { return hash_step(c, a); }
    uint64_t through(uint64_t c) const { return through_tile(c, tile); }
    void put_pre(int64_t q, uint64_t c) const
    {
        w->pre[q][ch] = c;
        __atomic_store_n(&w->pre_put[q], true, __ATOMIC_RELAXED);
    }
};

/* tile q's values as it stores them before it sets its flag to `status` (the row's first tile, k = 0, stores no
 * aggregate) */
void store_values(workspace &w, int64_t q, int64_t G, int status)
{
    for (int ch = 0; ch < CW; ch++) {
        if (status != ST_NONE && q >= G)
            w.agg[q][ch] = agg_value(q, ch);
        if (status == ST_PREFIX)
            w.pre[q][ch] = pre_value(q, ch);
    }
}

/* A flag another block sets later: after a pause of 40 ms (while the walk waits for it; where it lands before
 * the walk reads it, the outcome is the same), or, for the predecessor's prefix that comes after the walk
 * took one further back, once this tile has published its own (the retire then waits for it). */
constexpr int AFTER_PUBLISH = -1;
struct late_flag {
    int64_t q;
    int status, ms; /* ms: a pause, or AFTER_PUBLISH */
};

struct lb_case {
    const char *name;
    int64_t G, tile;       /* tile = k·G + group */
    bool has_next;         /* the tile is not its row's last */
    std::vector<int> init; /* flags of the row's predecessors, nearest first (ST_*); the rest stay ST_NONE */
    std::vector<late_flag> late;
    int64_t expect_prefix; /* the tile whose prefix the walk must take (−1: the row's initial state) */
};

workspace w; /* the case's, set up by run_case */

/* the case's checks: the number that failed, each named */
int run_case(const lb_case &c)
{
    w = workspace{};
    const int64_t group = c.tile % c.G, k = c.tile / c.G;
    for (int64_t i = 0; i < TILES; i++)
        for (int ch = 0; ch < CW; ch++)
            w.agg[i][ch] = w.pre[i][ch] = UNSTORED;
    /* other groups' tiles are all ST_PREFIX: a walk that left its row would stop at one of them */
    for (int64_t i = 0; i < TILES; i++)
        if (i % c.G != group) {
            store_values(w, i, c.G, ST_PREFIX);
            w.flags[i] = ST_PREFIX;
        }
    for (size_t n = 0; n < c.init.size(); n++) {
        const int64_t q = c.tile - (int64_t)(n + 1) * c.G;
        store_values(w, q, c.G, c.init[n]);
        w.flags[q] = c.init[n];
    }

    std::vector<std::thread> helpers;
    for (const late_flag &f : c.late)
        helpers.emplace_back([f, tile = c.tile, G = c.G] {
            if (f.ms == AFTER_PUBLISH) /* (at most 10 s, so that a tile that never publishes fails, not hangs) */
                for (int t = 0; t < 10000 && __atomic_load_n(&w.flags[tile], __ATOMIC_ACQUIRE) != ST_PREFIX; t++)
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(f.ms));
            store_values(w, f.q, G, f.status);
            atomicExch(&w.flags[f.q], f.status);
        });
    uint64_t before[CW] = {0}, after[CW] = {0};
    lrb_emu_launch(1, 32, [&] {
        const int lane = (int)threadIdx.x;
        const bool chan = lane < CW;
        const hash_side s = {&w, c.tile, chan ? lane : 0};
        const carried<uint64_t> r =
            look_back<4, uint64_t, uint64_t>(s, w.flags, c.tile, c.G, k, c.has_next, lane, chan, (uint64_t)0);
        if (chan) {
            before[lane] = r.before;
            after[lane] = r.after;
        }
    });
    for (std::thread &h : helpers)
        h.join();

    int failed = 0;
    auto expect = [&](bool ok, const char *what) {
        if (!ok) {
            printf("FAIL: %s: %s\n", c.name, what);
            failed++;
        }
    };
    bool carry_ok = true;
    for (int ch = 0; ch < CW; ch++) {
        uint64_t e = c.expect_prefix < 0 ? initial_value(ch) : pre_value(c.expect_prefix, ch);
        for (int64_t m = c.expect_prefix < 0 ? c.tile : c.expect_prefix + c.G; m < c.tile; m += c.G)
            e = hash_step(e, agg_value(m, ch));
        carry_ok = carry_ok && before[ch] == e && after[ch] == through_tile(e, c.tile);
    }
    expect(carry_ok, "the carry is not the expected prefix stepped through the aggregates after it, in order");
    expect(w.flags[c.tile] == (c.has_next ? ST_PREFIX : ST_NONE),
           c.has_next ? "the tile did not publish its prefix" : "the row's last tile published a flag");
    expect(w.agg_put[c.tile] == (k > 0 && c.has_next), "the aggregate stored where it must not be, or not stored");
    expect(w.pre_put[c.tile] == c.has_next, "the prefix stored where it must not be, or not stored");
    expect(!c.has_next || (w.pre[c.tile][0] == after[0] && w.pre[c.tile][1] == after[1]),
           "the stored prefix is not the state after the tile");
    expect(k == 0 || w.flags[c.tile - c.G] == ST_NONE, "the predecessor's flag was not cleared");
    /* every other flag as the case left it: set up, or set late */
    bool others_ok = true;
    for (int64_t i = 0; i < TILES; i++) {
        if (i == c.tile || i == c.tile - c.G)
            continue;
        int want = i % c.G != group ? ST_PREFIX : ST_NONE;
        const int64_t n = (c.tile - i) / c.G - 1; /* the n-th predecessor, 0 the nearest */
        if (i % c.G == group && i < c.tile && n < (int64_t)c.init.size())
            want = c.init[(size_t)n];
        for (const late_flag &f : c.late)
            if (f.q == i)
                want = f.status;
        others_ok = others_ok && w.flags[i] == want;
    }
    expect(others_ok, "a flag other than the tile's and its predecessor's changed");
    printf("%s: %s\n", failed ? "FAIL" : "PASS", c.name);
    return failed;
}

/* a row's predecessors' flags, nearest first, as runs of (count, status) */
std::vector<int> row(std::initializer_list<std::pair<int, int>> runs)
{
    std::vector<int> v;
    for (const auto &r : runs)
        v.insert(v.end(), (size_t)r.first, r.second);
    return v;
}

} // namespace

int main()
{
    const int A = ST_AGG, P = ST_PREFIX, N = ST_NONE, LATE = AFTER_PUBLISH;
    /* name, G, tile, has_next, the predecessors' flags (nearest first), flags set late, the prefix to take;
     * one case per two lines, not one field per line */
    // clang-format off
    const lb_case cases[] = {
        {"a row's first tile starts from the initial state", 3, 2, true, {}, {}, -1},
        {"a row of one tile publishes nothing", 1, 0, false, {}, {}, -1},
        {"the predecessor's prefix, no walk", 1, 10, true, {P}, {}, 9},
        {"a row's last tile uses its predecessor's prefix and publishes nothing", 2, 21, false, {P}, {}, 19},
        {"a walk past 5 aggregates; the retire waits for the predecessor's prefix", 1, 20, true,
         row({{5, A}, {1, P}}), {{19, P, LATE}}, 14},
        {"a walk past 40 aggregates, into the second window of 32", 1, 100, true, row({{40, A}, {1, P}}),
         {{99, P, LATE}}, 59},
        {"a prefix 33 back, the first tile of the second window (another 36 back)", 1, 200, true,
         row({{32, A}, {1, P}, {2, A}, {1, P}}), {{199, P, LATE}}, 200 - 33},
        {"a walk past 70 aggregates of a row among 3 channel groups, into the third window", 3, 3 * 90 + 1, true,
         row({{70, A}, {1, P}}), {{3 * 89 + 1, P, LATE}}, 3 * 19 + 1},
        {"a walk past 44 aggregates to the row's first tile, among 2 channel groups", 2, 2 * 45, true,
         row({{44, A}, {1, P}}), {{2 * 44, P, LATE}}, 0},
        {"the row's first tile not yet published, 40 back: the walk waits for it", 2, 2 * 40 + 1, true,
         row({{39, A}, {1, N}}), {{1, P, 40}, {2 * 39 + 1, P, LATE}}, 1},
        {"an aggregate not yet published: the walk waits for it rather than pass it", 1, 50, true, {A, A, N, A, P},
         {{47, A, 40}, {49, P, LATE}}, 45},
        {"a flag cleared before a prefix: the walk reads again and takes the nearer prefix", 1, 50, true, {A, N, P},
         {{49, P, 40}}, 49},
    };
    // clang-format on
    int failed = 0;
    for (const lb_case &c : cases)
        failed += run_case(c);
    printf("look-back protocol: %s (%zu cases, %d failed checks)\n", failed ? "FAILED" : "passed",
           sizeof cases / sizeof *cases, failed);
    return failed ? 1 : 0;
}
