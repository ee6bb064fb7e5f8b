/* preempt.S - the trampoline of asynchronous preemption, x86_64 SysV.
 *
 * The SIGURG handler (preempt.c) rewrites the interrupted context of a G:
 * below the 128-byte red zone it pushes the interrupted PC, and resumes
 * the thread here. So on entry the stack looks as after a call from the
 * interrupted instruction, with the red zone in between:
 *
 *   rsp + 0    interrupted PC (our return address)
 *   rsp + 8    the G's red zone (128 bytes), then the G's own rsp
 *
 * The trampoline saves everything the G may have live - every general
 * register, the flags, and the whole extended state with xsave (x87, SSE,
 * AVX, AVX-512, ...: the size comes from CPUID leaf 0xD, mn__xsave_size) -
 * calls mn__async_preempt_c, which yields the G, and on resume restores it
 * all and returns to the interrupted PC. Frame after the pushes:
 *
 *   rbp + 0    r15          rbp + 64   rdi
 *   rbp + 8    r14          rbp + 72   rsi
 *   rbp + 16   r13          rbp + 80   rdx
 *   rbp + 24   r12          rbp + 88   rcx
 *   rbp + 32   r11          rbp + 96   rbx
 *   rbp + 40   r10          rbp + 104  rax
 *   rbp + 48   r9           rbp + 112  the G's rbp
 *   rbp + 56   r8           rbp + 120  rflags
 *                           rbp + 128  interrupted PC
 *   below rbp: the xsave area, 64-byte aligned.
 */
        .text

/* void mn__async_preempt(void);  entered by a rewritten signal context */
        .globl  mn__async_preempt
        .hidden mn__async_preempt
        .type   mn__async_preempt, @function
        .p2align 4
mn__async_preempt:
        .cfi_startproc
        .cfi_undefined rip              /* no unwinding through a signal frame */
        pushfq                          /* rflags */
        pushq   %rbp                    /* the G's rbp */
        pushq   %rax
        pushq   %rbx
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, %rbp              /* frame base, callee-saved across the call */
        movl    mn__xsave_size(%rip), %eax
        subq    %rax, %rsp              /* room for the xsave area ... */
        andq    $-64, %rsp              /* ... 64-byte aligned, as xsave needs */
        xorl    %eax, %eax              /* the xsave header (bytes 512-575) must be */
        movq    %rax, 512(%rsp)         /* zero where xrstor checks it */
        movq    %rax, 520(%rsp)
        movq    %rax, 528(%rsp)
        movq    %rax, 536(%rsp)
        movq    %rax, 544(%rsp)
        movq    %rax, 552(%rsp)
        movq    %rax, 560(%rsp)
        movq    %rax, 568(%rsp)
        movl    $-1, %eax               /* every state component XCR0 enables */
        movl    $-1, %edx
        xsave64 (%rsp)
        cld                             /* the ABI's direction flag for C */
        callq   mn__async_preempt_c     /* yields; returns on this M */
        movl    $-1, %eax
        movl    $-1, %edx
        xrstor64 (%rsp)
        movq    %rbp, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rbx
        popq    %rax
        popq    %rbp
        popfq
        ret     $128                    /* to the interrupted PC, over the red zone */
        .cfi_endproc
        .size   mn__async_preempt, .-mn__async_preempt

        .section .note.GNU-stack,"",@progbits
