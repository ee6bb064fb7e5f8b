/* regs_check.S - helpers for test_switch: load known values into every
 * callee-saved register, yield through the runtime, and report what came
 * back, so a switch that loses a register is caught.
 *
 * int mnt_yield_keeps_regs(uint64_t seed, void (*yield)(void));
 *   returns 0 when rbx, rbp, r12-r15 hold seed+1..seed+6 after yield(). */
        .text
        .globl  mnt_yield_keeps_regs
        .type   mnt_yield_keeps_regs, @function
mnt_yield_keeps_regs:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp                /* align for the call */
        leaq    1(%rdi), %rbx
        leaq    2(%rdi), %rbp
        leaq    3(%rdi), %r12
        leaq    4(%rdi), %r13
        leaq    5(%rdi), %r14
        leaq    6(%rdi), %r15
        movq    %rdi, (%rsp)            /* keep the seed on our stack */
        callq   *%rsi                   /* yield(): other Gs run here */
        movq    (%rsp), %rdi
        xorl    %eax, %eax
        leaq    1(%rdi), %rcx
        cmpq    %rcx, %rbx
        jne     1f
        leaq    2(%rdi), %rcx
        cmpq    %rcx, %rbp
        jne     1f
        leaq    3(%rdi), %rcx
        cmpq    %rcx, %r12
        jne     1f
        leaq    4(%rdi), %rcx
        cmpq    %rcx, %r13
        jne     1f
        leaq    5(%rdi), %rcx
        cmpq    %rcx, %r14
        jne     1f
        leaq    6(%rdi), %rcx
        cmpq    %rcx, %r15
        jne     1f
        jmp     2f
1:      movl    $1, %eax
2:      addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .size   mnt_yield_keeps_regs, .-mnt_yield_keeps_regs
        .section .note.GNU-stack,"",@progbits
