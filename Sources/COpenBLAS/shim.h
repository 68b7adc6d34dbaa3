// OpenBLAS's CBLAS interface (libopenblas-dev) and the few extra symbols ppl uses.
#include <cblas.h>

char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);

// LAPACK's Cholesky factorisation (Fortran interface), which libopenblas exports.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

// LAPACK's symmetric eigensolver (Fortran interface), which libopenblas exports.
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info);
