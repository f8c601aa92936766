// oneDNN through one small C file, so that the Swift code builds unchanged against 2.x and 3.x.
#include "cdnnl.h"

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void omp_set_num_threads(int);
int omp_get_max_threads(void);

// ---- Version-neutral memory descriptors ---------------------------------------------------------

#if DNNL_VERSION_MAJOR >= 3
typedef dnnl_memory_desc_t owned_md;       // an opaque handle
typedef const_dnnl_memory_desc_t md_ref;
static owned_md md_new(int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t md = NULL;
    if (dnnl_memory_desc_create_with_tag(&md, ndims, dims, dnnl_f32, tag) != dnnl_success) return NULL;
    return md;
}
static void md_free(owned_md md) { if (md) dnnl_memory_desc_destroy(md); }
#else
typedef dnnl_memory_desc_t *owned_md;      // a heap copy of the 2.x struct
typedef const dnnl_memory_desc_t *md_ref;
static owned_md md_new(int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag) {
    owned_md md = calloc(1, sizeof *md);
    if (md && dnnl_memory_desc_init_by_tag(md, ndims, dims, dnnl_f32, tag) != dnnl_success) { free(md); return NULL; }
    return md;
}
static void md_free(owned_md md) { free(md); }
#endif

// ---- One engine; a stream and a scratchpad per thread -------------------------------------------
//
// Any thread may run any plan, and several threads may run the same plan at once (Network is
// Sendable): a plan holds only what never changes (the primitive, its weights, its memory
// descriptors). What an execution binds (activations, scratchpad, stream) is made per call or
// per thread. The scratchpad is the user's (dnnl_scratchpad_mode_user): oneDNN's own is kept per
// thread that created the primitive, so a primitive run on another thread would use that
// thread's scratchpad, of whatever size.

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static dnnl_status_t engine_status = dnnl_success;
static pthread_key_t context_key;

typedef struct {
    dnnl_stream_t stream;
    void *scratchpad;
    size_t scratchpad_size;
} thread_context;

static void context_free(void *p) {
    thread_context *context = p;
    if (context->stream) dnnl_stream_destroy(context->stream);
    free(context->scratchpad);
    free(context);
}

static void engine_init(void) {
    engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0);
    if (engine_status == dnnl_success && pthread_key_create(&context_key, context_free) != 0)
        engine_status = dnnl_out_of_memory;
}

/// This thread's stream, with a scratchpad of at least `scratchpad_size` bytes; NULL when out of
/// memory.
static thread_context *this_thread(size_t scratchpad_size) {
    thread_context *context = pthread_getspecific(context_key);
    if (!context) {
        context = calloc(1, sizeof *context);
        if (!context) return NULL;
        if (dnnl_stream_create(&context->stream, engine, dnnl_stream_default_flags) != dnnl_success ||
            pthread_setspecific(context_key, context) != 0) {
            context_free(context);
            return NULL;
        }
    }
    if (scratchpad_size > context->scratchpad_size) {
        size_t size = (scratchpad_size + 63) / 64 * 64;
        void *grown = aligned_alloc(64, size);
        if (!grown) return NULL;
        free(context->scratchpad);
        context->scratchpad = grown;
        context->scratchpad_size = size;
    }
    return context;
}

/// A memory bound to `data` for one execution, with the descriptor of `like`.
static dnnl_status_t bind(dnnl_memory_t *memory, const_dnnl_memory_t like, void *data) {
    md_ref md = NULL;
    dnnl_status_t s = dnnl_memory_get_memory_desc(like, &md);
    return s == dnnl_success ? dnnl_memory_create(memory, md, engine, data) : s;
}

/// Runs `primitive` on this thread's stream. An argument whose `data` is NULL is passed as it
/// is (weights, bias); the others' memories are templates, bound to `data` for this call only.
/// `scratchpad` (NULL when none is needed) is the template of the plan's user scratchpad.
/// Returns 0 on success.
enum { max_arguments = 5 };
static int execute(const_dnnl_primitive_t primitive, int count, const dnnl_exec_arg_t *args, void *const *data,
                   const_dnnl_memory_t scratchpad, size_t scratchpad_size) {
    thread_context *context = this_thread(scratchpad_size);
    if (!context || count >= max_arguments) return 4;
    dnnl_memory_t bound[max_arguments] = {0};
    dnnl_exec_arg_t call[max_arguments];
    int status = 0, n = 0;
    for (; n < count; n++) {
        call[n] = args[n];
        if (!data[n]) continue;
        if (bind(&bound[n], args[n].memory, data[n]) != dnnl_success) { status = 1; goto done; }
        call[n].memory = bound[n];
    }
    if (scratchpad) {
        if (bind(&bound[n], scratchpad, context->scratchpad) != dnnl_success) { status = 1; goto done; }
        call[n] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, bound[n]};
        n++;
    }
    if (dnnl_primitive_execute(primitive, context->stream, n, call) != dnnl_success) status = 2;
    else if (dnnl_stream_wait(context->stream) != dnnl_success) status = 3;
done:
    for (int i = 0; i < max_arguments; i++) if (bound[i]) dnnl_memory_destroy(bound[i]);
    return status;
}

/// A primitive attribute asking for the user scratchpad (see this_thread).
static dnnl_status_t user_scratchpad(dnnl_primitive_attr_t *attr) {
    dnnl_status_t s = dnnl_primitive_attr_create(attr);
    return s == dnnl_success ? dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user) : s;
}

/// The template of `pd`'s scratchpad, left NULL when it needs none.
static dnnl_status_t scratchpad_of(const_dnnl_primitive_desc_t pd, dnnl_memory_t *scratchpad, size_t *size) {
    md_ref md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    *size = md ? dnnl_memory_desc_get_size(md) : 0;
    return *size ? dnnl_memory_create(scratchpad, md, engine, DNNL_MEMORY_NONE) : dnnl_success;
}

static const char *status_name(dnnl_status_t s) {
    switch (s) {
    case dnnl_success: return "success";
    case dnnl_out_of_memory: return "out of memory";
    case dnnl_invalid_arguments: return "invalid arguments";
    case dnnl_unimplemented: return "no implementation for these shapes";
#if DNNL_VERSION_MAJOR < 3
    case dnnl_iterator_ends: return "iterator ends";
#endif
    case dnnl_runtime_error: return "runtime error";
    case dnnl_not_required: return "not required";
    default: return "unknown status";
    }
}

#define CHECK(call, what)                                                                   \
    do {                                                                                    \
        dnnl_status_t status_ = (call);                                                     \
        if (status_ != dnnl_success) {                                                      \
            snprintf(error, error_size, "oneDNN: %s: %s", what, status_name(status_));      \
            goto fail;                                                                      \
        }                                                                                   \
    } while (0)

// ---- Plans -------------------------------------------------------------------------------------

struct unravel_conv_plan {
    dnnl_primitive_t primitive;
    dnnl_memory_t weights, bias;
    /// Templates: descriptors only, bound to the caller's buffers on each execute.
    dnnl_memory_t source, destination, scratchpad;
    size_t scratchpad_size;
    int source_arg, destination_arg, threads;
    char implementation[160];
};

void unravel_conv_destroy(unravel_conv_plan *plan) {
    if (!plan) return;
    if (plan->primitive) dnnl_primitive_destroy(plan->primitive);
    if (plan->source) dnnl_memory_destroy(plan->source);
    if (plan->weights) dnnl_memory_destroy(plan->weights);
    if (plan->bias) dnnl_memory_destroy(plan->bias);
    if (plan->destination) dnnl_memory_destroy(plan->destination);
    if (plan->scratchpad) dnnl_memory_destroy(plan->scratchpad);
    free(plan);
}

typedef struct {
    owned_md source, weights_any, weights_user, bias, destination;
    dnnl_dims_t strides, dilations, pad_l, pad_r;
} conv_descs;

static void descs_free(conv_descs *d) {
    md_free(d->source); md_free(d->weights_any); md_free(d->weights_user);
    md_free(d->bias); md_free(d->destination);
}

static int descs_make(conv_descs *d, const unravel_conv_shape *s, int with_bias) {
    memset(d, 0, sizeof *d);
    dnnl_dims_t src = {s->batch, s->in_channels, s->in_height, s->in_width};
    dnnl_dims_t dst = {s->batch, s->out_channels, s->out_height, s->out_width};
    d->source = md_new(4, src, dnnl_nhwc);
    d->destination = md_new(4, dst, dnnl_nhwc);
    if (s->groups > 1) {
        dnnl_dims_t w = {s->groups, s->out_channels / s->groups, s->in_channels / s->groups,
                         s->kernel_height, s->kernel_width};
        d->weights_any = md_new(5, w, dnnl_format_tag_any);
        d->weights_user = md_new(5, w, dnnl_goihw);
    } else {
        dnnl_dims_t w = {s->out_channels, s->in_channels, s->kernel_height, s->kernel_width};
        d->weights_any = md_new(4, w, dnnl_format_tag_any);
        d->weights_user = md_new(4, w, dnnl_oihw);
    }
    if (with_bias) {
        dnnl_dims_t b = {s->out_channels};
        d->bias = md_new(1, b, dnnl_x);
    }
    d->strides[0] = s->stride_height; d->strides[1] = s->stride_width;
    d->dilations[0] = 0; d->dilations[1] = 0;
    d->pad_l[0] = s->pad_top; d->pad_l[1] = s->pad_left;
    d->pad_r[0] = s->pad_bottom; d->pad_r[1] = s->pad_right;
    return d->source && d->destination && d->weights_any && d->weights_user && (!with_bias || d->bias);
}

static dnnl_status_t forward_pd(dnnl_primitive_desc_t *pd, conv_descs *d, dnnl_prop_kind_t kind,
                                const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_convolution_forward_primitive_desc_create(
        pd, engine, kind, dnnl_convolution_direct, d->source, d->weights_any, d->bias, d->destination,
        d->strides, d->dilations, d->pad_l, d->pad_r, attr);
#else
    dnnl_convolution_desc_t desc;
    dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(
        &desc, kind, dnnl_convolution_direct, d->source, d->weights_any, d->bias, d->destination,
        d->strides, d->dilations, d->pad_l, d->pad_r);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
#endif
}

static dnnl_status_t backward_data_pd(dnnl_primitive_desc_t *pd, conv_descs *d, const_dnnl_primitive_desc_t hint,
                                      const_dnnl_primitive_attr_t attr) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_convolution_backward_data_primitive_desc_create(
        pd, engine, dnnl_convolution_direct, d->source, d->weights_any, d->destination,
        d->strides, d->dilations, d->pad_l, d->pad_r, hint, attr);
#else
    dnnl_convolution_desc_t desc;
    dnnl_status_t s = dnnl_dilated_convolution_backward_data_desc_init(
        &desc, dnnl_convolution_direct, d->source, d->weights_any, d->destination,
        d->strides, d->dilations, d->pad_l, d->pad_r);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, attr, engine, hint);
#endif
}

static dnnl_status_t append_sum(dnnl_post_ops_t ops) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_post_ops_append_sum(ops, 1.0f, 0, dnnl_data_type_undef);
#else
    return dnnl_post_ops_append_sum(ops, 1.0f);
#endif
}

static dnnl_status_t append_eltwise(dnnl_post_ops_t ops, dnnl_alg_kind_t kind) {
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_post_ops_append_eltwise(ops, kind, 0.0f, 0.0f);
#else
    return dnnl_post_ops_append_eltwise(ops, 1.0f, kind, 0.0f, 0.0f);
#endif
}

/// Reorders user weights (OIHW / GOIHW) into `plan->weights` laid out as `target`.
static dnnl_status_t load_weights(unravel_conv_plan *plan, conv_descs *d, md_ref target, const float *weights) {
    dnnl_memory_t user = NULL;
    dnnl_primitive_desc_t reorder_pd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_status_t s = dnnl_memory_create(&plan->weights, target, engine, DNNL_MEMORY_ALLOCATE);
    if (s == dnnl_success) s = dnnl_memory_create(&user, d->weights_user, engine, (void *)weights);
    if (s == dnnl_success) s = dnnl_reorder_primitive_desc_create(&reorder_pd, d->weights_user, engine, target, engine, NULL);
    if (s == dnnl_success) s = dnnl_primitive_create(&reorder, reorder_pd);
    thread_context *context = s == dnnl_success ? this_thread(0) : NULL;
    if (s == dnnl_success && !context) s = dnnl_out_of_memory;
    if (s == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, plan->weights}};
        s = dnnl_primitive_execute(reorder, context->stream, 2, args);
    }
    if (s == dnnl_success) s = dnnl_stream_wait(context->stream);
    if (reorder) dnnl_primitive_destroy(reorder);
    if (reorder_pd) dnnl_primitive_desc_destroy(reorder_pd);
    if (user) dnnl_memory_destroy(user);
    return s;
}

static void note_implementation(unravel_conv_plan *plan, const_dnnl_primitive_desc_t pd) {
    const char *name = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success && name)
        snprintf(plan->implementation, sizeof plan->implementation, "%s", name);
}

/// Checks that oneDNN kept the NHWC layouts we asked for: a mismatched descriptor would run and
/// silently give wrong numbers.
static int same_md(md_ref a, md_ref b) { return dnnl_memory_desc_equal(a, b); }

/// A new plan with the engine up, the thread count set and the descriptors made (`d` is zeroed
/// first, so the caller can always free it); NULL with `error` filled on failure.
static unravel_conv_plan *plan_begin(conv_descs *d, const unravel_conv_shape *shape, int with_bias, int threads,
                                     char *error, size_t error_size) {
    memset(d, 0, sizeof *d);
    pthread_once(&engine_once, engine_init);
    if (engine_status != dnnl_success) {
        snprintf(error, error_size, "oneDNN: creating the CPU engine: %s", status_name(engine_status));
        return NULL;
    }
    unravel_conv_plan *plan = calloc(1, sizeof *plan);
    if (!plan) { snprintf(error, error_size, "out of memory"); return NULL; }
    plan->threads = threads;
    if (threads > 0) omp_set_num_threads(threads);
    if (!descs_make(d, shape, with_bias)) {
        snprintf(error, error_size, "oneDNN: invalid convolution shape");
        free(plan);
        return NULL;
    }
    return plan;
}

/// Finishes a plan from its primitive descriptor: checks that oneDNN kept NHWC on both sides,
/// notes the implementation, reorders the weights, binds the activations and makes the
/// primitive. `source` is what execute reads, `destination` what it writes. Returns 0 on success.
static int plan_finish(unravel_conv_plan *plan, conv_descs *d, const_dnnl_primitive_desc_t pd, const float *weights,
                       md_ref source, dnnl_query_t source_query, int source_arg,
                       md_ref destination, dnnl_query_t destination_query, int destination_arg,
                       char *error, size_t error_size) {
    if (!same_md(dnnl_primitive_desc_query_md(pd, source_query, 0), source) ||
        !same_md(dnnl_primitive_desc_query_md(pd, destination_query, 0), destination)) {
        snprintf(error, error_size, "oneDNN: the convolution did not keep NHWC activations and gradients");
        return 1;
    }
    note_implementation(plan, pd);
    CHECK(load_weights(plan, d, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), weights), "reordering weights");
    CHECK(dnnl_memory_create(&plan->source, source, engine, DNNL_MEMORY_NONE), "binding the source");
    CHECK(dnnl_memory_create(&plan->destination, destination, engine, DNNL_MEMORY_NONE), "binding the destination");
    CHECK(scratchpad_of(pd, &plan->scratchpad, &plan->scratchpad_size), "making the scratchpad");
    CHECK(dnnl_primitive_create(&plan->primitive, pd), "creating the primitive");
    plan->source_arg = source_arg;
    plan->destination_arg = destination_arg;
    return 0;
fail:
    return 1;
}

unravel_conv_plan *unravel_conv_forward_create(const unravel_conv_shape *shape, const float *weights,
                                               const float *bias, unravel_conv_fusion fusion, int threads,
                                               char *error, size_t error_size) {
    conv_descs d;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    unravel_conv_plan *plan = plan_begin(&d, shape, bias != NULL, threads, error, error_size);
    if (!plan) goto fail;
    CHECK(user_scratchpad(&attr), "creating attributes");
    CHECK(dnnl_post_ops_create(&ops), "creating post-ops");
    if (fusion.accumulate) CHECK(append_sum(ops), "adding the sum post-op");
    if (fusion.relu) CHECK(append_eltwise(ops, dnnl_eltwise_relu), "adding the ReLU post-op");
    if (fusion.sigmoid) CHECK(append_eltwise(ops, dnnl_eltwise_logistic), "adding the sigmoid post-op");
    CHECK(dnnl_primitive_attr_set_post_ops(attr, ops), "setting post-ops");
    CHECK(forward_pd(&pd, &d, dnnl_forward_inference, attr), "creating the forward convolution");
    if (plan_finish(plan, &d, pd, weights, d.source, dnnl_query_src_md, DNNL_ARG_SRC,
                    d.destination, dnnl_query_dst_md, DNNL_ARG_DST, error, error_size)) goto fail;
    if (bias) {
        CHECK(dnnl_memory_create(&plan->bias, d.bias, engine, DNNL_MEMORY_ALLOCATE), "allocating the bias");
        void *handle = NULL;
        CHECK(dnnl_memory_get_data_handle(plan->bias, &handle), "reading the bias handle");
        memcpy(handle, bias, sizeof(float) * (size_t)shape->out_channels);
    }
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    descs_free(&d);
    return plan;
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (ops) dnnl_post_ops_destroy(ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    descs_free(&d);
    unravel_conv_destroy(plan);
    return NULL;
}

unravel_conv_plan *unravel_conv_backward_data_create(const unravel_conv_shape *shape, const float *weights,
                                                     int threads, char *error, size_t error_size) {
    conv_descs d;
    dnnl_primitive_desc_t hint = NULL, pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    unravel_conv_plan *plan = plan_begin(&d, shape, 0, threads, error, error_size);
    if (!plan) goto fail;
    CHECK(user_scratchpad(&attr), "creating attributes");
    CHECK(forward_pd(&hint, &d, dnnl_forward_training, NULL), "creating the forward hint");
    CHECK(backward_data_pd(&pd, &d, hint, attr), "creating the backward-data convolution");
    // Execute reads the output gradient (shaped like the destination) and writes the input's.
    if (plan_finish(plan, &d, pd, weights, d.destination, dnnl_query_diff_dst_md, DNNL_ARG_DIFF_DST,
                    d.source, dnnl_query_diff_src_md, DNNL_ARG_DIFF_SRC, error, error_size)) goto fail;
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(hint);
    dnnl_primitive_attr_destroy(attr);
    descs_free(&d);
    return plan;
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (hint) dnnl_primitive_desc_destroy(hint);
    if (attr) dnnl_primitive_attr_destroy(attr);
    descs_free(&d);
    unravel_conv_destroy(plan);
    return NULL;
}

int unravel_conv_execute(unravel_conv_plan *plan, const float *source, float *destination) {
    if (plan->threads > 0 && omp_get_max_threads() != plan->threads) omp_set_num_threads(plan->threads);
    dnnl_exec_arg_t args[4];
    void *data[4];
    int count = 0;
    args[count] = (dnnl_exec_arg_t){plan->source_arg, plan->source}; data[count++] = (void *)source;
    args[count] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, plan->weights}; data[count++] = NULL;
    if (plan->bias) { args[count] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, plan->bias}; data[count++] = NULL; }
    args[count] = (dnnl_exec_arg_t){plan->destination_arg, plan->destination}; data[count++] = destination;
    return execute(plan->primitive, count, args, data, plan->scratchpad, plan->scratchpad_size);
}

const char *unravel_conv_implementation(const unravel_conv_plan *plan) { return plan->implementation; }

// ---- Element-wise plans ------------------------------------------------------------------------

struct unravel_elementwise_plan {
    dnnl_primitive_t primitive;
    /// Templates, bound to the caller's buffers on each execute.
    dnnl_memory_t memories[3], scratchpad;
    size_t scratchpad_size;
    int args[3];
    int threads;
};

void unravel_elementwise_destroy(unravel_elementwise_plan *plan) {
    if (!plan) return;
    if (plan->primitive) dnnl_primitive_destroy(plan->primitive);
    for (int i = 0; i < 3; i++) if (plan->memories[i]) dnnl_memory_destroy(plan->memories[i]);
    if (plan->scratchpad) dnnl_memory_destroy(plan->scratchpad);
    free(plan);
}

static dnnl_status_t relu_backward_pd(dnnl_primitive_desc_t *pd, owned_md data, const_dnnl_primitive_attr_t attr) {
    dnnl_primitive_desc_t hint = NULL;
    dnnl_status_t s;
#if DNNL_VERSION_MAJOR >= 3
    s = dnnl_eltwise_forward_primitive_desc_create(&hint, engine, dnnl_forward_training,
                                                   dnnl_eltwise_relu_use_dst_for_bwd, data, data, 0.f, 0.f, NULL);
    if (s == dnnl_success)
        s = dnnl_eltwise_backward_primitive_desc_create(pd, engine, dnnl_eltwise_relu_use_dst_for_bwd, data, data, data,
                                                        0.f, 0.f, hint, attr);
#else
    dnnl_eltwise_desc_t forward, backward;
    s = dnnl_eltwise_forward_desc_init(&forward, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, data, 0.f, 0.f);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&hint, &forward, NULL, engine, NULL);
    if (s == dnnl_success) s = dnnl_eltwise_backward_desc_init(&backward, dnnl_eltwise_relu_use_dst_for_bwd, data, data, 0.f, 0.f);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(pd, &backward, attr, engine, hint);
#endif
    if (hint) dnnl_primitive_desc_destroy(hint);
    return s;
}

static dnnl_status_t add_pd(dnnl_primitive_desc_t *pd, owned_md data, const_dnnl_primitive_attr_t attr) {
    // A binary add runs on the jit kernel; the sum primitive takes a generic loop.
#if DNNL_VERSION_MAJOR >= 3
    return dnnl_binary_primitive_desc_create(pd, engine, dnnl_binary_add, data, data, data, attr);
#else
    dnnl_binary_desc_t desc;
    dnnl_status_t s = dnnl_binary_desc_init(&desc, dnnl_binary_add, data, data, data);
    return s == dnnl_success ? dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL) : s;
#endif
}

static unravel_elementwise_plan *elementwise_create(int is_add, long count, int threads, char *error, size_t error_size) {
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_dims_t dims = {count};
    owned_md data = NULL;
    unravel_elementwise_plan *plan = calloc(1, sizeof *plan);
    pthread_once(&engine_once, engine_init);
    if (!plan) { snprintf(error, error_size, "out of memory"); return NULL; }
    plan->threads = threads;
    if (threads > 0) omp_set_num_threads(threads);
    CHECK(engine_status, "creating the CPU engine");
    CHECK(user_scratchpad(&attr), "creating attributes");
    data = md_new(1, dims, dnnl_x);
    if (!data) { snprintf(error, error_size, "oneDNN: invalid element count %ld", count); goto fail; }
    if (is_add) {
        CHECK(add_pd(&pd, data, attr), "creating the add");
        plan->args[0] = DNNL_ARG_SRC_0;
        plan->args[1] = DNNL_ARG_SRC_1;
        plan->args[2] = DNNL_ARG_DST;
    } else {
        CHECK(relu_backward_pd(&pd, data, attr), "creating the ReLU backward");
        plan->args[0] = DNNL_ARG_DST;
        plan->args[1] = DNNL_ARG_DIFF_DST;
        plan->args[2] = DNNL_ARG_DIFF_SRC;
    }
    for (int i = 0; i < 3; i++) CHECK(dnnl_memory_create(&plan->memories[i], data, engine, DNNL_MEMORY_NONE), "binding memory");
    CHECK(scratchpad_of(pd, &plan->scratchpad, &plan->scratchpad_size), "making the scratchpad");
    CHECK(dnnl_primitive_create(&plan->primitive, pd), "creating the primitive");
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    md_free(data);
    return plan;
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    md_free(data);
    unravel_elementwise_destroy(plan);
    return NULL;
}

unravel_elementwise_plan *unravel_relu_backward_create(long count, int threads, char *error, size_t error_size) {
    return elementwise_create(0, count, threads, error, error_size);
}

unravel_elementwise_plan *unravel_add_create(long count, int threads, char *error, size_t error_size) {
    return elementwise_create(1, count, threads, error, error_size);
}

int unravel_elementwise_execute(unravel_elementwise_plan *plan, const float *first, const float *second, float *out) {
    if (plan->threads > 0 && omp_get_max_threads() != plan->threads) omp_set_num_threads(plan->threads);
    void *data[3] = {(void *)first, (void *)second, out};
    dnnl_exec_arg_t args[3];
    for (int i = 0; i < 3; i++) args[i] = (dnnl_exec_arg_t){plan->args[i], plan->memories[i]};
    return execute(plan->primitive, 3, args, data, plan->scratchpad, plan->scratchpad_size);
}

void unravel_set_threads(int threads) { if (threads > 0) omp_set_num_threads(threads); }

int unravel_sgemm(char trans_a, char trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc) {
    return dnnl_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) == dnnl_success ? 0 : 1;
}

const char *unravel_dnnl_version(void) {
    static char text[32];
    const dnnl_version_t *v = dnnl_version();
    snprintf(text, sizeof text, "%d.%d.%d", v->major, v->minor, v->patch);
    return text;
}

// The ISA values are bit masks, each including those it extends, so a machine is named by the
// widest family it holds whole. Extensions past avx512_core (VNNI, BF16, AMX) and avx2 (VNNI)
// add integer and half-width kernels only: float32 runs the family's kernels.
const char *unravel_dnnl_fp32_isa(void) {
    const unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    static const struct { unsigned mask; const char *name; } families[] = {
        {0x27, "avx512_core"}, {0xf, "avx512_mic"}, {0x7, "avx2"}, {0x3, "avx"}, {0x1, "sse41"},
    };
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if ((isa & families[i].mask) == families[i].mask) return families[i].name;
    return "other";
}
