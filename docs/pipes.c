/* Which floating-point pipes an x86-64 core has for 512-bit (or, with -DYMM, 256-bit)
 * operations: throughput and latency of add, FMA, max, logic and square root, alone and mixed.
 * It backs the README's "What bounds the default accuracy" (the compensated entry is 35 adds to
 * 17 multiplies: on a core with two adders it is bound by the adders, not the square root).
 *
 *   gcc -O2 -mavx512f -mavx512dq docs/pipes.c -o /tmp/pipes && /tmp/pipes        # AVX-512
 *   gcc -O2 -mavx2 -mfma -DYMM docs/pipes.c -o /tmp/pipes && /tmp/pipes          # AVX2 only
 *
 * Cycles come from a dependent chain of integer adds (one cycle each), so they hold for the
 * clock the core runs at. Each figure is "operations per cycle" over independent chains, except
 * the two latency lines (one dependent chain). */
#include <stdio.h>
#include <time.h>

#ifdef YMM
#define R(n) "%%ymm" #n
#else
#define R(n) "%%zmm" #n
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define ITERATIONS 100000000L
#define CLOBBERS                                                                                 \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",      \
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static double cycles_per_iteration(double seconds, double ghz) { return seconds * ghz * 1e9 / ITERATIONS; }

/* The clock, from a chain of dependent integer adds. */
static double clock_ghz(void) {
    long x = 0;
    double t = now();
    for (long i = 0; i < ITERATIONS; i++)
        __asm__ volatile("add $1,%0\n add $1,%0\n add $1,%0\n add $1,%0" : "+r"(x));
    return 4.0 * ITERATIONS / (now() - t) / 1e9;
}

#define TIME(label, ops, body)                                                                   \
    do {                                                                                         \
        double t = now();                                                                        \
        for (long i = 0; i < ITERATIONS; i++) __asm__ volatile(body ::: CLOBBERS);               \
        double c = cycles_per_iteration(now() - t, ghz);                                         \
        printf("%-46s %5.2f ops/cycle  (%5.2f cycles per iteration)\n", label, (ops) / c, c);    \
    } while (0)

/* Accumulators in registers 0-13, each its own chain; 14 and 15 hold the operands (ordinary
 * normal numbers: a square root of zero can take a shortcut). Each block has enough chains that
 * latency does not bound it: an add chain takes 2 cycles a step, an FMA chain 4. */
#define OP(op, dst) op " " R(14) "," R(dst) "," R(dst) "\n"
#define FMA(dst) "vfmadd231pd " R(14) "," R(15) "," R(dst) "\n"
#define ADD8                                                                                     \
    OP("vaddpd", 0) OP("vaddpd", 1) OP("vaddpd", 2) OP("vaddpd", 3) OP("vaddpd", 4)              \
        OP("vaddpd", 5) OP("vaddpd", 6) OP("vaddpd", 7)
#define ADD6 OP("vaddpd", 0) OP("vaddpd", 1) OP("vaddpd", 2) OP("vaddpd", 3) OP("vaddpd", 4) OP("vaddpd", 5)
#define FMA12                                                                                    \
    FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5) FMA(6) FMA(7) FMA(8) FMA(9) FMA(10) FMA(11)
#define FMA8_HIGH FMA(6) FMA(7) FMA(8) FMA(9) FMA(10) FMA(11) FMA(12) FMA(13)
#define MAX4 OP("vmaxpd", 8) OP("vmaxpd", 9) OP("vmaxpd", 10) OP("vmaxpd", 11)
#define MAX2_HIGH OP("vmaxpd", 12) OP("vmaxpd", 13)
#define AND4 OP("vandpd", 8) OP("vandpd", 9) OP("vandpd", 10) OP("vandpd", 11)
#define SQRT "vsqrtpd " R(15) "," R(12) "\n"
#define SQRT_TO_13 "vsqrtpd " R(15) "," R(13) "\n"
#define ADD_CHAIN4 OP("vaddpd", 0) OP("vaddpd", 0) OP("vaddpd", 0) OP("vaddpd", 0)
#define FMA_CHAIN4 FMA(8) FMA(8) FMA(8) FMA(8)

int main(void) {
    static const double operand[8] = {2.1, 3.3, 5.7, 7.2, 11.3, 13.9, 17.7, 19.1};
    __asm__ volatile("vmovupd %0," R(14) "\n vmovupd %0," R(15) "\n vxorpd " R(0) "," R(0) "," R(0)
                     :
                     : "m"(operand)
                     : CLOBBERS);
    double ghz = clock_ghz();
    printf("clock: %.2f GHz (from a dependent integer-add chain)\n", ghz);
    TIME("add (8 chains)", 8, ADD8);
    TIME("fma (12 chains)", 12, FMA12);
    TIME("adds (6 chains, 2 deep) + fmas (8)", 20, ADD6 ADD6 FMA8_HIGH);
    TIME("max (4 chains)", 4, MAX4);
    TIME("adds (16) + max (4): max on the adders?", 20, ADD8 ADD8 MAX4);
    TIME("fmas (12) + max (4): max on the multipliers?", 16, FMA12 MAX2_HIGH MAX2_HIGH);
    TIME("adds (16) + and (4): logic on any pipe?", 20, ADD8 ADD8 AND4);
    TIME("sqrt (independent)", 1, SQRT);
    TIME("sqrt + adds (32): does it hold an adder?", 33, SQRT ADD8 ADD8 ADD8 ADD8);
    TIME("sqrt + fmas (24): does it hold a multiplier?", 25, SQRT_TO_13 FMA12 FMA12);
    TIME("add latency (one chain)", 4, ADD_CHAIN4);
    TIME("fma latency (one chain)", 4, FMA_CHAIN4);
    return 0;
}
