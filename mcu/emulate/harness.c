/* cmv3 emulate's harness: runs the generated model on the images linked in (cmv3_images.c) and
 * prints one line per image with its output bytes; on the emulated Cortex-M7 (CMV3_BARE_METAL)
 * also the SysTick ticks of each layer and the stack cmv3_invoke used (painted, then scanned).
 * The host build (the reference twin) prints the outputs only. Lines:
 *   out <image> <hex bytes>     layer <i> <ticks>     total <ticks>     stack <bytes>     calib <ticks> */
#include <stdint.h>
#include <string.h>
#include "cmv3_model.h"

extern const int cmv3_image_count;
extern const int8_t cmv3_images[][CMV3_INPUT_SIZE];

#ifdef CMV3_BARE_METAL
void cmv3_put(const char *s); /* startup.c: semihosting SYS_WRITE0 */
uint64_t cmv3_ticks(void);
extern uint32_t __stack_limit[];
static uint64_t layer_ticks[CMV3_LAYER_COUNT + 1], last_tick;
static int last_layer = -1;
void cmv3_profile_mark(int layer) {
  const uint64_t now = cmv3_ticks();
  if (last_layer >= 0) layer_ticks[last_layer] += now - last_tick;
  last_layer = layer < CMV3_LAYER_COUNT ? layer : -1;
  last_tick = cmv3_ticks(); /* the mark's own cost is not the layer's */
}
#else
#include <stdio.h>
static void cmv3_put(const char *s) { fputs(s, stdout); }
#endif

static char *put_u64(char *p, uint64_t v) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *p++ = tmp[--n];
  return p;
}

#ifdef CMV3_BARE_METAL
static void line(const char *tag, uint64_t a, uint64_t b, int has_b) {
  char buf[80], *p = buf;
  while (*tag) *p++ = *tag++;
  *p++ = ' ';
  p = put_u64(p, a);
  if (has_b) { *p++ = ' '; p = put_u64(p, b); }
  *p++ = '\n';
  *p = 0;
  cmv3_put(buf);
}

/* a loop of known length: 2 instructions per iteration (subs, bne), to check ticks per instruction */
static uint64_t calibrate(void) {
  uint32_t n = 1000000;
  const uint64_t t0 = cmv3_ticks();
  __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
  return cmv3_ticks() - t0;
}
#endif

int main(void) {
  static int8_t output[CMV3_OUTPUT_SIZE];
  static const char hex[] = "0123456789abcdef";
#ifdef CMV3_BARE_METAL
  line("calib", calibrate(), 0, 0);
  uint64_t total = 0, stack = 0;
#endif
  for (int i = 0; i < cmv3_image_count; i++) {
#ifdef CMV3_BARE_METAL
    /* paint the free stack below this frame, run, find the deepest word written */
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *w = __stack_limit; w < sp - 16; w++) *w = 0xa5a5a5a5u;
    const uint64_t t0 = cmv3_ticks();
    cmv3_invoke(cmv3_images[i], output);
    total += cmv3_ticks() - t0;
    uint32_t *w = __stack_limit;
    while (w < sp && *w == 0xa5a5a5a5u) w++;
    const uint64_t used = (uint64_t)((uintptr_t)sp - (uintptr_t)w);
    if (used > stack) stack = used;
#else
    cmv3_invoke(cmv3_images[i], output);
#endif
    char buf[16 + 2 * CMV3_OUTPUT_SIZE], *p = buf;
    memcpy(p, "out ", 4);
    p = put_u64(p + 4, (uint64_t)i);
    *p++ = ' ';
    for (int k = 0; k < CMV3_OUTPUT_SIZE; k++) { *p++ = hex[(uint8_t)output[k] >> 4]; *p++ = hex[(uint8_t)output[k] & 15]; }
    *p++ = '\n';
    *p = 0;
    cmv3_put(buf);
  }
#ifdef CMV3_BARE_METAL
  for (int l = 0; l < CMV3_LAYER_COUNT; l++) line("layer", (uint64_t)l, layer_ticks[l], 1);
  line("total", total, 0, 0);
  line("stack", stack, 0, 0);
#endif
  cmv3_put("done\n");
  return 0;
}
