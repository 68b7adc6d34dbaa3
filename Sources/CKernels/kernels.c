#include "ckernels.h"
#include <float.h>
#include <math.h>

// Elementwise kernels calling glibc's libmvec directly: _ZGVeN8v_* (AVX-512, 8 doubles)
// or _ZGVdN4v_* (AVX2, 4 doubles), chosen once at run time from the CPU's features, with
// a scalar loop for the remainder and for machines without AVX2. libmvec is 4-8x faster
// than scalar libm on long vectors, at a few ulps of accuracy.

typedef double v4 __attribute__((vector_size(32)));
typedef long l4 __attribute__((vector_size(32)));
typedef double v8 __attribute__((vector_size(64)));
typedef long l8 __attribute__((vector_size(64)));

#define DECLARE(P, V, T) \
  T extern V P##exp(V); T extern V P##log(V); T extern V P##log1p(V); T extern V P##expm1(V); \
  T extern V P##tanh(V); T extern V P##sin(V); T extern V P##cos(V); T extern V P##erf(V);
DECLARE(_ZGVdN4v_, v4, __attribute__((target("avx2,fma"))))
DECLARE(_ZGVeN8v_, v8, __attribute__((target("avx512f,avx512dq,avx512vl,fma"))))

// One element (scalar) or one vector of elements: the same formulas. ZERO is a zero of the
// element's kind (0 * v would be NaN for an infinite v).
#define FORMULAS(P, EXP, LOG, LOG1P, MAX, MIN, ABS, ZERO, INV_LOGIT) \
  case PPL_EXP: STEP(EXP(v)); \
  case PPL_LOG: STEP(LOG(v)); \
  case PPL_LOG1P: STEP(LOG1P(v)); \
  case PPL_EXPM1: STEP(P##expm1(v)); \
  case PPL_LOG1M: STEP(LOG1P(-v)); \
  case PPL_TANH: STEP(P##tanh(v)); \
  case PPL_SIN: STEP(P##sin(v)); \
  case PPL_COS: STEP(P##cos(v)); \
  case PPL_ERF: STEP(P##erf(v)); \
  case PPL_INV_LOGIT: STEP(INV_LOGIT(v)); \
  case PPL_LOG1P_EXP: STEP(MAX(v, ZERO) + LOG1P(EXP(-ABS(v)))); \
  case PPL_LOG_INV_LOGIT: STEP(MIN(v, ZERO) - LOG1P(EXP(-ABS(v)))); \
  case PPL_LOG1M_INV_LOGIT: STEP(-MAX(v, ZERO) - LOG1P(EXP(-ABS(v)))); \
  case PPL_LOGIT: STEP(LOG(v) - LOG1P(-v));

#define VMAX(a, b) __builtin_elementwise_max(a, b)
#define VMIN(a, b) __builtin_elementwise_min(a, b)
#define VABS(a) __builtin_elementwise_abs(a)

// inv_logit(v) = 1 / (1 + exp(-v)); below v = -709.78, exp(-v) overflows and the value is
// exp(v) (a subnormal number, or 0).
static double inv_logit_1(double v) {
  double e = exp(-v);
  return e == INFINITY ? exp(v) : 1.0 / (1.0 + e);
}

#define INV_LOGIT_VECTOR(NAME, TARGET, P, V, L, W) \
  __attribute__((target(TARGET))) static inline V NAME(V v) { \
    V e = P##exp(-v); \
    V r = 1.0 / (1.0 + e); \
    L overflow = (L)(e == INFINITY); \
    if (__builtin_reduce_or(overflow)) \
      for (int k = 0; k < W; k++) if (overflow[k]) r[k] = exp(v[k]); \
    return r; \
  }
INV_LOGIT_VECTOR(inv_logit_4, "avx2,fma", _ZGVdN4v_, v4, l4, 4)
INV_LOGIT_VECTOR(inv_logit_8, "avx512f,avx512dq,avx512vl,fma", _ZGVeN8v_, v8, l8, 8)

static void unary_scalar(int op, const double *x, double *y, long i, long n) {
#define STEP(e) for (; i < n; i++) { double v = x[i]; y[i] = (e); } return;
#define s_exp exp
#define s_log log
#define s_log1p log1p
#define s_expm1 expm1
#define s_tanh tanh
#define s_sin sin
#define s_cos cos
#define s_erf erf
  switch (op) { FORMULAS(s_, exp, log, log1p, fmax, fmin, fabs, 0.0, inv_logit_1) }
#undef STEP
}

__attribute__((target("avx2,fma"))) static void unary_avx2(int op, const double *x, double *y, long n) {
  long i = 0;
#undef STEP
#define STEP(e) for (; i + 4 <= n; i += 4) { v4 v; __builtin_memcpy(&v, x + i, 32); v4 r = (e); __builtin_memcpy(y + i, &r, 32); } break;
  switch (op) { FORMULAS(_ZGVdN4v_, _ZGVdN4v_exp, _ZGVdN4v_log, _ZGVdN4v_log1p, VMAX, VMIN, VABS, (v4){0}, inv_logit_4) }
  unary_scalar(op, x, y, i, n);
}

__attribute__((target("avx512f,avx512dq,avx512vl,fma"))) static void unary_avx512(int op, const double *x, double *y, long n) {
  long i = 0;
#undef STEP
#define STEP(e) for (; i + 8 <= n; i += 8) { v8 v; __builtin_memcpy(&v, x + i, 64); v8 r = (e); __builtin_memcpy(y + i, &r, 64); } break;
  switch (op) { FORMULAS(_ZGVeN8v_, _ZGVeN8v_exp, _ZGVeN8v_log, _ZGVeN8v_log1p, VMAX, VMIN, VABS, (v8){0}, inv_logit_8) }
  unary_scalar(op, x, y, i, n);
}
#undef STEP

// log_sum_exp(a, b) = max(a, b) + log1p(exp(-|a - b|)); max(a, b) when that is infinite, and
// NaN when an argument is (fmax and the vector max drop a NaN).
__attribute__((noinline)) static double lse1(double a, double b) {
  double m = fmax(a, b);
  if (a != a || b != b) return NAN;
  return m == INFINITY || m == -INFINITY ? m : m + log1p(exp(-fabs(a - b)));
}

#define LSE_VECTOR(NAME, TARGET, P, V, L, W) \
  __attribute__((target(TARGET))) static void NAME(const double *a, const double *b, int sb, double *y, long n) { \
    long i = 0; \
    for (; i + W <= n; i += W) { \
      V va, vb; __builtin_memcpy(&va, a + i, sizeof va); \
      if (sb) { for (int k = 0; k < W; k++) vb[k] = b[0]; } else { __builtin_memcpy(&vb, b + i, sizeof vb); } \
      V m = VMAX(va, vb); \
      V r = m + P##log1p(P##exp(-VABS(va - vb))); \
      /* Rare: an infinite max (or a NaN it dropped), redone from memory by lse1. */ \
      if (__builtin_reduce_or((L)(VABS(m) == INFINITY))) \
        for (int k = 0; k < W; k++) \
          if (m[k] == INFINITY || m[k] == -INFINITY) r[k] = lse1(a[i + k], sb ? b[0] : b[i + k]); \
      __builtin_memcpy(y + i, &r, sizeof r); \
    } \
    for (; i < n; i++) y[i] = lse1(a[i], sb ? b[0] : b[i]); \
  }
LSE_VECTOR(lse_avx2, "avx2,fma", _ZGVdN4v_, v4, l4, 4)
LSE_VECTOR(lse_avx512, "avx512f,avx512dq,avx512vl,fma", _ZGVeN8v_, v8, l8, 8)

static int level = -1;

static int cpu_level(void) {
  if (level < 0) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
      level = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      level = 1;
    else
      level = 0;
  }
  return level;
}

void ppl_unary(int op, const double *x, double *y, long n) {
  switch (cpu_level()) {
  case 2: unary_avx512(op, x, y, n); break;
  case 1: unary_avx2(op, x, y, n); break;
  default: unary_scalar(op, x, y, 0, n); break;
  }
}

void ppl_log_sum_exp(const double *a, const double *b, int sb, double *y, long n) {
  switch (cpu_level()) {
  case 2: lse_avx512(a, b, sb, y, n); break;
  case 1: lse_avx2(a, b, sb, y, n); break;
  default: for (long i = 0; i < n; i++) y[i] = lse1(a[i], sb ? b[0] : b[i]); break;
  }
}

// Plain loops, vectorised by clang at -O3 for each instruction set.
#define ARITH(NAME, OPER) \
  __attribute__((target_clones("avx512f", "avx2", "default"))) \
  static void NAME(const double *a, int sa, const double *b, int sb, double *y, long n) { \
    if (sa && sb) { double r = a[0] OPER b[0]; for (long i = 0; i < n; i++) y[i] = r; } \
    else if (sa) { double s = a[0]; for (long i = 0; i < n; i++) y[i] = s OPER b[i]; } \
    else if (sb) { double s = b[0]; for (long i = 0; i < n; i++) y[i] = a[i] OPER s; } \
    else { for (long i = 0; i < n; i++) y[i] = a[i] OPER b[i]; } \
  }
ARITH(add_, +)
ARITH(sub_, -)
ARITH(mul_, *)
ARITH(div_, /)

void ppl_binary(int op, const double *a, int sa, const double *b, int sb, double *y, long n) {
  switch (op) {
  case PPL_ADD: add_(a, sa, b, sb, y, n); break;
  case PPL_SUB: sub_(a, sa, b, sb, y, n); break;
  case PPL_MUL: mul_(a, sa, b, sb, y, n); break;
  case PPL_DIV: {
    // By a scalar: one division, then products (a vector division costs ~20× a product),
    // unless the reciprocal is not a normal number (it would lose digits or overflow).
    const double r = sb && !sa ? 1 / b[0] : 0;
    if (fabs(r) >= DBL_MIN && fabs(r) <= DBL_MAX) {
      mul_(a, 0, &r, 1, y, n);
    } else {
      div_(a, sa, b, sb, y, n);
    }
    break;
  }
  }
}

double ppl_sum(const double *x, long n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) acc[k] += x[i + k];
  double t = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; i++) t += x[i];
  return t;
}

void ppl_gather(const double *x, const long *idx, double *y, long n) {
  for (long k = 0; k < n; k++) y[k] = x[idx[k]];
}

void ppl_scatter(double *y, const long *idx, const double *v, int sv, int assign, long n) {
  if (assign) {
    for (long k = 0; k < n; k++) y[idx[k]] = sv ? v[0] : v[k];
  } else if (sv) {
    for (long k = 0; k < n; k++) y[idx[k]] += v[0];
  } else {
    for (long k = 0; k < n; k++) y[idx[k]] += v[k];
  }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void ppl_adam(double *phi, double *m, double *v, const double *g, long n, double scale,
              double beta1, double beta2, double c1, double c2, double lr, double eps) {
  const double a = lr / c1, r = 1 / c2;
  for (long i = 0; i < n; i++) {
    const double gi = scale * g[i];
    m[i] = beta1 * m[i] + (1 - beta1) * gi;
    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
    phi[i] += a * m[i] / (__builtin_sqrt(v[i] * r) + eps);
  }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
int ppl_all_finite(const double *x, long n) {
  // x * 0 is 0 for finite x and NaN otherwise; the sums stay 0 only if all are finite.
  // Eight independent accumulators: one would be a chain of dependent additions.
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) acc[k] += x[i + k] * 0;
  double t = 0;
  for (; i < n; i++) t += x[i] * 0;
  for (int k = 0; k < 8; k++) t += acc[k];
  return t == 0;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void ppl_moments(double *restrict sum, double *restrict squares, const double *restrict g, double scale, long n) {
#pragma clang fp contract(off)
  for (long i = 0; i < n; i++) {
    const double x = g[i] * scale;
    sum[i] += x;
    squares[i] += x * x;
  }
}
