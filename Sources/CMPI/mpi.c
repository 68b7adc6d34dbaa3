#include "ppl_mpi.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Open MPI's handles are the addresses of its predefined objects (mpi.h's
// OMPI_PREDEFINED_GLOBAL), which dlsym gives; MPI_IN_PLACE is (void *)1.
typedef void *handle;
static int (*init_thread)(int *, char ***, int, int *);
static int (*comm_rank)(handle, int *);
static int (*comm_size)(handle, int *);
static int (*allreduce)(const void *, void *, int, handle, handle, handle);
static int (*broadcast)(void *, int, handle, int, handle);
static int (*abort_job)(handle, int);
static int (*finalize)(void);
static int (*library_version)(char *, int *);
static handle world, float64, sum;
static int rank = 0, size = 1;

static void *symbol(void *library, const char *name, char *why, size_t length) {
    void *p = dlsym(library, name);
    if (!p) snprintf(why, length, "the MPI library has no '%s' (ppl needs Open MPI)", name);
    return p;
}

int ppl_mpi_start(char *why, size_t length) {
    const char *path = getenv("PPL_MPI_LIBRARY");
    if (!path || !*path) path = "libmpi.so.40";
    // RTLD_GLOBAL: Open MPI's components, which it loads itself, resolve against it.
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(why, length, "cannot load Open MPI's library %s (install openmpi-bin, or set PPL_MPI_LIBRARY): %s",
                 path, dlerror());
        return 1;
    }
    if (!(init_thread = symbol(library, "MPI_Init_thread", why, length))) return 1;
    if (!(comm_rank = symbol(library, "MPI_Comm_rank", why, length))) return 1;
    if (!(comm_size = symbol(library, "MPI_Comm_size", why, length))) return 1;
    if (!(allreduce = symbol(library, "MPI_Allreduce", why, length))) return 1;
    if (!(broadcast = symbol(library, "MPI_Bcast", why, length))) return 1;
    if (!(abort_job = symbol(library, "MPI_Abort", why, length))) return 1;
    if (!(finalize = symbol(library, "MPI_Finalize", why, length))) return 1;
    if (!(library_version = symbol(library, "MPI_Get_library_version", why, length))) return 1;
    if (!(world = symbol(library, "ompi_mpi_comm_world", why, length))) return 1;
    if (!(float64 = symbol(library, "ompi_mpi_double", why, length))) return 1;
    if (!(sum = symbol(library, "ompi_mpi_op_sum", why, length))) return 1;
    char version[4096];
    int n = 0;
    if (library_version(version, &n) != 0 || strstr(version, "Open MPI") == NULL) {
        snprintf(why, length, "%s is not Open MPI's library, whose handles ppl reads", path);
        return 1;
    }
    // MPI_THREAD_SERIALIZED (2 in Open MPI): a fit's runs may call from a worker thread, one at a time.
    int provided = 0;
    if (init_thread(NULL, NULL, 2, &provided) != 0) {
        snprintf(why, length, "MPI_Init_thread failed");
        return 1;
    }
    if (provided < 2) {
        snprintf(why, length, "Open MPI gives thread level %d, below MPI_THREAD_SERIALIZED", provided);
        abort_job(world, 1);
        return 1;
    }
    comm_rank(world, &rank);
    comm_size(world, &size);
    return 0;
}

int ppl_mpi_rank(void) { return rank; }
int ppl_mpi_size(void) { return size; }

int ppl_mpi_sum(double *values, size_t count) {
    while (count > 0) {
        int n = count > INT_MAX ? INT_MAX : (int)count;
        int status = allreduce((void *)1, values, n, float64, sum, world);
        if (status != 0) return status;
        // MPI does not promise every rank the same rounding of a sum over three ranks or more
        // (two add the same pair); rank 0's goes to all, so that every rank steps alike.
        if (size > 2 && (status = broadcast(values, n, float64, 0, world)) != 0) return status;
        values += n;
        count -= (size_t)n;
    }
    return 0;
}

void ppl_mpi_abort(int code) { abort_job(world, code); }

void ppl_mpi_finish(void) { finalize(); }
