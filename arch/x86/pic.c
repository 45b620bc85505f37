/*
 * The legacy 8259A interrupt controllers: moved off the exception vectors
 * (their power-on vectors 0x08-0x0f collide with #DF..#GP) and fully masked.
 * The hypervisor runs with interrupts disabled; when it takes interrupts it
 * will do so through the local APIC. Initialisation sequence: 8259A
 * datasheet, ICW1-ICW4.
 */
#include <x86/asm.h>
#include <x86/trap.h>
#include <x86/x86.h>

#define PIC1_CMD               0x20
#define PIC1_DATA              0x21
#define PIC2_CMD               0xa0
#define PIC2_DATA              0xa1

#define ICW1_INIT              0x10
#define ICW1_ICW4              0x01
#define ICW3_PIC1_CASCADE_IRQ2 0x04 /* slave on IRQ2 */
#define ICW3_PIC2_CASCADE_ID   0x02
#define ICW4_8086              0x01
#define OCW1_MASK_ALL          0xff

void x86_pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
	outb(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
	outb(PIC1_DATA, VEC_FIRST_IRQ);
	outb(PIC2_DATA, VEC_FIRST_IRQ + 8);
	outb(PIC1_DATA, ICW3_PIC1_CASCADE_IRQ2);
	outb(PIC2_DATA, ICW3_PIC2_CASCADE_ID);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, OCW1_MASK_ALL);
	outb(PIC2_DATA, OCW1_MASK_ALL);
}
