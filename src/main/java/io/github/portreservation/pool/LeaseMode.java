package io.github.portreservation.pool;

/** How a lease request may wait for a port when none is free: the blocking mode of one request. */
enum LeaseMode {
    /** {@code lease()} or {@code bind()} on a thread that may block: grows on the caller's thread, waits per policy. */
    MAY_WAIT,
    /**
     * {@code lease()} or {@code bind()} on a thread that must never block (an event loop): grows on the caller's
     * thread when the pool can (the system calls of one block), but never waits for a port: fails at once instead.
     */
    NEVER_WAIT,
    /** {@code leaseAsync()}: never blocks the caller; growth runs on the scheduler, and the future is the wait. */
    ASYNC;

    /** The mode of a blocking call made by the current thread. */
    static LeaseMode ofBlockingCall(NonBlockingThreads threads) {
        return threads.isNonBlocking(Thread.currentThread()) ? NEVER_WAIT : MAY_WAIT;
    }
}
