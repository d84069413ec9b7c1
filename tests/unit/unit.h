/*
 * unit.h: what every unit test includes: cmocka and its prerequisites.
 */
#ifndef FWS_UNIT_H
#define FWS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
