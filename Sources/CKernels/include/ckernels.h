#ifndef PPL_CKERNELS_H
#define PPL_CKERNELS_H

/// Elementwise kernels over arrays, vectorised with glibc's libmvec (AVX-512 or AVX2,
/// chosen at run time). `y` may equal `x`.
enum ppl_unary {
  PPL_EXP, PPL_LOG, PPL_LOG1P, PPL_EXPM1, PPL_LOG1M, PPL_TANH, PPL_SIN, PPL_COS, PPL_ERF,
  PPL_INV_LOGIT, PPL_LOG1P_EXP, PPL_LOG_INV_LOGIT, PPL_LOG1M_INV_LOGIT, PPL_LOGIT
};

void ppl_unary(int op, const double *x, double *y, long n);

/// log(exp(a) + exp(b)) elementwise; `sb` non-zero means b is one scalar.
void ppl_log_sum_exp(const double *a, const double *b, int sb, double *y, long n);


enum ppl_binary { PPL_ADD, PPL_SUB, PPL_MUL, PPL_DIV };

/// y = a op b elementwise; `sa` / `sb` non-zero means that operand is one scalar.
void ppl_binary(int op, const double *a, int sa, const double *b, int sb, double *y, long n);

/// Sum of n doubles (eight accumulators, so it vectorises).
double ppl_sum(const double *x, long n);

/// y[k] = x[idx[k]], 0-based.
void ppl_gather(const double *x, const long *idx, double *y, long n);

/// y[idx[k]] += v[k] (or = v[k] when `assign` is non-zero), 0-based; `sv` means v is one scalar.
void ppl_scatter(double *y, const long *idx, const double *v, int sv, int assign, long n);

/// One Adam step for ascent over n parameters along scale * g: m and v updated, then
/// phi += lr * (m / c1) / (sqrt(v / c2) + eps), with c1, c2 the bias corrections.
void ppl_adam(double *phi, double *m, double *v, const double *g, long n, double scale,
              double beta1, double beta2, double c1, double c2, double lr, double eps);

/// 1 when every element is finite.
int ppl_all_finite(const double *x, long n);

/// sum[i] += scale g[i] and squares[i] += (scale g[i])², as separate roundings (no fused
/// multiply-add): the convergence test's gradient moments, the bits of the plain loop.
void ppl_moments(double *sum, double *squares, const double *g, double scale, long n);

/// One chunk of a parallel job: `task(context, chunk)`.
typedef void (*ppl_task)(void *context, long chunk);

/// Runs task(context, c) for every c in 0..<chunks, on the calling thread and up to
/// threads - 1 helper threads (started once, kept for the process). When another job holds
/// the helpers, or threads < 2, every chunk runs on the calling thread. Returns the threads
/// the job could use.
int ppl_parallel_for(long chunks, int threads, ppl_task task, void *context);

/// Adds `delta` to the count of evaluations running in the process and returns the new count.
int ppl_evaluations(int delta);

#endif
