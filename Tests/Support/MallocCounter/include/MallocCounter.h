#pragma once
#include <stdint.h>

/// Heap allocations made by the calling thread since it started.
uint64_t polyclear_thread_allocation_count(void);
