/* regs_spin.S - for test_preempt: fill every general register (but rsp)
 * and xmm0-15 with values derived from a seed, then spin `iters` times
 * checking that none changed. A preemption that loses any of them makes
 * it return 1; 0 otherwise.
 *
 * int mnt_regs_spin(uint64_t seed, uint64_t iters);
 * Stack frame while spinning: rsp+0 iterations left, rsp+8.. expected
 * values of rax..r15 (14 of them: rsp excluded), rsp+128.. 16 xmm patterns. */
        .text
        .globl  mnt_regs_spin
        .type   mnt_regs_spin, @function
mnt_regs_spin:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $392, %rsp              /* 8 + 14*8 (+8 pad) + 16*16, aligned */
        movq    %rsi, 0(%rsp)           /* iterations left */
        /* expected GPR values: seed * (i + 1), i = 0..13 */
        movq    %rdi, %rax
        xorl    %ecx, %ecx
1:      leaq    1(%rcx), %rdx
        imulq   %rdi, %rdx
        movq    %rdx, 8(%rsp,%rcx,8)
        incq    %rcx
        cmpq    $14, %rcx
        jne     1b
        /* xmm patterns: 16 bytes each at rsp+128 + 16*i: seed ^ i in both halves */
        xorl    %ecx, %ecx
2:      movq    %rdi, %rdx
        xorq    %rcx, %rdx
        movq    %rcx, %rax
        shlq    $4, %rax
        movq    %rdx, 128(%rsp,%rax)
        movq    %rdx, 136(%rsp,%rax)
        incq    %rcx
        cmpq    $16, %rcx
        jne     2b
        movdqu  128(%rsp), %xmm0
        movdqu  144(%rsp), %xmm1
        movdqu  160(%rsp), %xmm2
        movdqu  176(%rsp), %xmm3
        movdqu  192(%rsp), %xmm4
        movdqu  208(%rsp), %xmm5
        movdqu  224(%rsp), %xmm6
        movdqu  240(%rsp), %xmm7
        movdqu  256(%rsp), %xmm8
        movdqu  272(%rsp), %xmm9
        movdqu  288(%rsp), %xmm10
        movdqu  304(%rsp), %xmm11
        movdqu  320(%rsp), %xmm12
        movdqu  336(%rsp), %xmm13
        movdqu  352(%rsp), %xmm14
        movdqu  368(%rsp), %xmm15
        movq    8(%rsp), %rax
        movq    16(%rsp), %rbx
        movq    24(%rsp), %rcx
        movq    32(%rsp), %rdx
        movq    40(%rsp), %rsi
        movq    48(%rsp), %rdi
        movq    56(%rsp), %rbp
        movq    64(%rsp), %r8
        movq    72(%rsp), %r9
        movq    80(%rsp), %r10
        movq    88(%rsp), %r11
        movq    96(%rsp), %r12
        movq    104(%rsp), %r13
        movq    112(%rsp), %r14
        /* r15 = the 14th value is not loaded: it is the flags probe below */
.Lloop:
        cmpq    8(%rsp), %rax
        jne     .Lbad
        cmpq    16(%rsp), %rbx
        jne     .Lbad
        cmpq    24(%rsp), %rcx
        jne     .Lbad
        cmpq    32(%rsp), %rdx
        jne     .Lbad
        cmpq    40(%rsp), %rsi
        jne     .Lbad
        cmpq    48(%rsp), %rdi
        jne     .Lbad
        cmpq    56(%rsp), %rbp
        jne     .Lbad
        cmpq    64(%rsp), %r8
        jne     .Lbad
        cmpq    72(%rsp), %r9
        jne     .Lbad
        cmpq    80(%rsp), %r10
        jne     .Lbad
        cmpq    88(%rsp), %r11
        jne     .Lbad
        cmpq    96(%rsp), %r12
        jne     .Lbad
        cmpq    104(%rsp), %r13
        jne     .Lbad
        cmpq    112(%rsp), %r14
        jne     .Lbad
        /* xmm: compare each with its pattern, using r15 as scratch */
        .irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        movq    %xmm\n, %r15
        cmpq    128+16*\n(%rsp), %r15
        jne     .Lbad
        pextrq  $1, %xmm\n, %r15
        cmpq    136+16*\n(%rsp), %r15
        jne     .Lbad
        .endr
        decq    0(%rsp)
        jnz     .Lloop
        xorl    %eax, %eax
        jmp     .Lout
.Lbad:  movl    $1, %eax
.Lout:  addq    $392, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .size   mnt_regs_spin, .-mnt_regs_spin
        .section .note.GNU-stack,"",@progbits
