/* cmv3 emulate: the bare-metal start of the harness on QEMU's mps2-an500 (Cortex-M7): vector
 * table, reset (FPU on, .bss zeroed; QEMU loads .data in place), SysTick as an instruction clock,
 * and semihosting for output and exit. */
#include <stdint.h>

extern uint32_t __bss_start__[], __bss_end__[], __stack_top[];
int main(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void cmv3_put(const char *s) { semihost(0x04, s); } /* SYS_WRITE0 */

static void semihost_exit(int ok) {
  semihost(0x18, (const void *)(uintptr_t)(ok ? 0x20026u : 0x20024u)); /* SYS_EXIT: ApplicationExit / RunTimeErrorUnknown */
  for (;;) {}
}

/* SysTick on the processor clock, a 24-bit down counter, extended to 64 bits by polling: every
 * call adds the ticks since the last one, which is exact while calls come less than 2^24 ticks
 * apart (671 M instructions at 40 per tick; the harness calls it around every layer). No
 * interrupt: under -icount QEMU may show the reloaded counter before it delivers the wrap's
 * interrupt, which made an interrupt-counted clock step back by 2^24. */
static uint32_t last_value = 0xFFFFFFu;
static uint64_t elapsed;
uint64_t cmv3_ticks(void) {
  const uint32_t v = SYST_CVR;
  elapsed += (last_value - v) & 0xFFFFFFu;
  last_value = v;
  return elapsed;
}

void Reset_Handler(void) {
  SCB_CPACR |= 0xFu << 20; /* CP10, CP11: full access (hard-float code) */
  __asm__ volatile("dsb\n isb");
  for (uint32_t *p = __bss_start__; p < __bss_end__; p++) *p = 0;
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0; /* any write clears it; the counter reloads to RVR */
  SYST_CSR = 5; /* enable, processor clock, no interrupt */
  last_value = SYST_CVR;
  semihost_exit(main() == 0);
}

static void Fault_Handler(void) {
  cmv3_put("fault\n");
  semihost_exit(0);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
  (void (*)(void))(uintptr_t)__stack_top, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
  Fault_Handler, Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler, Fault_Handler,
};
