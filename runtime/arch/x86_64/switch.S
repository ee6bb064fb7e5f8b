/* switch.S - the context switch for x86_64 System V.
 *
 * A context is a stack pointer. mn__switch pushes the callee-saved
 * registers onto the current stack, stores the stack pointer, loads the
 * target's, and pops the target's registers. The frame it leaves behind:
 *
 *   sp + 0   MXCSR (4 bytes)        saved by stmxcsr
 *   sp + 4   x87 control word (2)   saved by fnstcw; 2 bytes unused
 *   sp + 8   r12
 *   sp + 16  r13
 *   sp + 24  r14
 *   sp + 32  r15
 *   sp + 40  rbx
 *   sp + 48  rbp
 *   sp + 56  return address         pushed by the caller's call
 *
 * MXCSR and the x87 control word are reloaded only when the target's
 * control bits differ from ours: ldmxcsr and fldcw take a slow path
 * (~50 ns measured here) while a compare costs nothing. MXCSR's low six
 * bits are sticky exception flags that any inexact operation sets; they
 * are left out of the comparison (else every switch after a division
 * reloads), so flags raised in one G may be seen in another, as with any
 * thread library that does not save them.
 *
 * The switch returns with pop + indirect jmp, not ret: a ret onto another
 * stack mispredicts every time (~14 ns against ~3.5 ns measured here).
 */
        .text

/* void mn__switch(void **save_sp, void *load_sp); */
        .globl  mn__switch
        .hidden mn__switch
        .type   mn__switch, @function
        .p2align 4
mn__switch:
        .cfi_startproc
        pushq   %rbp                    /* sp+48: rbp */
        pushq   %rbx                    /* sp+40: rbx */
        pushq   %r15                    /* sp+32: r15 */
        pushq   %r14                    /* sp+24: r14 */
        pushq   %r13                    /* sp+16: r13 */
        pushq   %r12                    /* sp+8:  r12 */
        subq    $8, %rsp                /* sp+0:  room for MXCSR and x87 CW */
        stmxcsr (%rsp)                  /* sp+0:  our MXCSR */
        fnstcw  4(%rsp)                 /* sp+4:  our x87 control word */
        movl    (%rsp), %r8d            /* r8d = our MXCSR ... */
        andl    $0xffc0, %r8d           /* ... without the sticky flags */
        movzwl  4(%rsp), %r9d           /* r9d = our x87 CW */
        movq    %rsp, (%rdi)            /* *save_sp = our frame */
        movq    %rsi, %rsp              /* now on the target's frame */
        movl    (%rsp), %eax            /* eax = target's MXCSR ... */
        andl    $0xffc0, %eax           /* ... without the sticky flags */
        cmpl    %eax, %r8d              /* same rounding and masks? */
        jne     .Lload_mxcsr
.Lcheck_cw:
        cmpw    4(%rsp), %r9w           /* same x87 control word? */
        jne     .Lload_cw
.Lrestore:
        addq    $8, %rsp                /* drop the MXCSR/CW slot */
        popq    %r12                    /* sp+8 */
        popq    %r13                    /* sp+16 */
        popq    %r14                    /* sp+24 */
        popq    %r15                    /* sp+32 */
        popq    %rbx                    /* sp+40 */
        popq    %rbp                    /* sp+48 */
        popq    %rcx                    /* sp+56: where the target resumes */
        jmpq    *%rcx                   /* pop + jmp, not ret (see above) */
.Lload_mxcsr:
        ldmxcsr (%rsp)                  /* target's MXCSR differs: load it */
        jmp     .Lcheck_cw
.Lload_cw:
        fldcw   4(%rsp)                 /* target's x87 CW differs: load it */
        jmp     .Lrestore
        .cfi_endproc
        .size   mn__switch, .-mn__switch

/* The first frame of a new context returns here (mn__ctx_init builds it):
 * rbx = the function to call, r12 = its argument. The stack is 16-byte
 * aligned at this point, as a call expects. The function must not return. */
        .globl  mn__ctx_entry
        .hidden mn__ctx_entry
        .type   mn__ctx_entry, @function
        .p2align 4
mn__ctx_entry:
        .cfi_startproc
        .cfi_undefined rip              /* unwinders stop here */
        xorl    %ebp, %ebp              /* end of the frame-pointer chain */
        movq    %r12, %rdi              /* argument */
        callq   *%rbx                   /* fn(arg); never returns */
        ud2
        .cfi_endproc
        .size   mn__ctx_entry, .-mn__ctx_entry

        .section .note.GNU-stack,"",@progbits
