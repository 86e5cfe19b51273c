/*
** test_mem.c - cmocka tests of sim/sim_mem.c: small blocks are 64-byte
** aligned, large ones 2 MiB aligned, both writable end to end and freed
** with free(); sizes that overflow when rounded are refused; sim_grow
** doubles from 16 to cover the need, keeps the contents, and leaves the
** array and capacity as they were when the size would overflow.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/sim_mem.h"

#include <stdlib.h>
#include <string.h>

static void test_alignment_and_use(void **st)
{
    (void)st;
    size_t sizes[] = {1, 100, 4096, (size_t)4 << 20, ((size_t)9 << 20) + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *p = sim_alloc_large(sizes[i]);
        assert_non_null(p);
        uintptr_t align = sizes[i] >= ((size_t)4 << 20) ? (uintptr_t)2 << 20 : 64;
        assert_int_equal((uintptr_t)p % align, 0);
        memset(p, 0x5a, sizes[i]);
        assert_int_equal(p[sizes[i] - 1], 0x5a);
        free(p);
    }
}

static void test_overflow_refused(void **st)
{
    (void)st;
    assert_null(sim_alloc_large(SIZE_MAX - 10));
}

static void test_grow(void **st)
{
    (void)st;
    int *v = NULL;
    size_t cap = 0;
    assert_int_equal(sim_grow((void **)&v, &cap, 1, sizeof *v), 0);
    assert_int_equal(cap, 16);
    for (int i = 0; i < 16; i++) v[i] = i;
    assert_int_equal(sim_grow((void **)&v, &cap, 16, sizeof *v), 0);
    assert_int_equal(cap, 16); /* enough already */
    assert_int_equal(sim_grow((void **)&v, &cap, 100, sizeof *v), 0);
    assert_int_equal(cap, 128);
    for (int i = 0; i < 16; i++) assert_int_equal(v[i], i);
    int *before = v;
    assert_int_equal(sim_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof *v), -1);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 128);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_use),
        cmocka_unit_test(test_overflow_refused),
        cmocka_unit_test(test_grow),
    };
    return cmocka_run_group_tests_name("sim_mem", tests, NULL, NULL);
}
