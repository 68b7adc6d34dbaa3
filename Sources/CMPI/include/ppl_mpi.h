// Open MPI, loaded when a fit is sharded (`ppl fit --shard N` under mpirun), so that the
// ppl binary neither links nor needs it otherwise. The handful of calls a data-parallel fit
// makes, through the library's own entry points (dlopen, dlsym).
#include <stddef.h>

/// Loads Open MPI's library (PPL_MPI_LIBRARY, else libmpi.so.40) and initialises it with
/// MPI_THREAD_SERIALIZED. 0 on success; else 1 with why in `why` (at most `length` bytes).
int ppl_mpi_start(char *why, size_t length);

/// This process's rank in MPI_COMM_WORLD, and the number of ranks.
int ppl_mpi_rank(void);
int ppl_mpi_size(void);

/// Sums `count` doubles over the ranks, in place (MPI_Allreduce, MPI_IN_PLACE, MPI_SUM),
/// every rank getting the same bits (over three ranks or more, rank 0's sum is broadcast).
/// 0 on success, else the MPI error code.
int ppl_mpi_sum(double *values, size_t count);

/// Ends every rank of the job with `code` (MPI_Abort on MPI_COMM_WORLD).
void ppl_mpi_abort(int code);

/// MPI_Finalize, once every rank is done.
void ppl_mpi_finish(void);
