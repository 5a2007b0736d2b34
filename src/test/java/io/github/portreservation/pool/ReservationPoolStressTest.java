package io.github.portreservation.pool;

import io.github.portreservation.testing.FaultySocket;
import io.github.portreservation.PortReservations;
import io.github.portreservation.testing.RequiresProvider;
import io.github.portreservation.testing.Descriptors;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.PortReservationProvider;
import io.github.portreservation.Protocol;
import io.github.portreservation.ReservableSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * More than 100,000 lease/bind/close cycles of real sockets on the real Linux provider, from four threads, with
 * injected faults: binds failing as if another process took the port (quarantine) or with another error, leases
 * closed by another thread, pools closed gracefully or forcibly midway. Exact counts at the end of each round, and the
 * process's descriptors back to the baseline at the end.
 */
@EnabledOnOs(OS.LINUX)
@RequiresProvider(PortReservations.LINUX)
class ReservationPoolStressTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final int THREADS = 4;
    private static final Object DONE = new Object();

    private enum Ending { NORMAL, CLOSE_MIDWAY, FORCED_CLOSE_MIDWAY }

    private static final class Round {
        final ReservationPool pool;
        final ConcurrentMap<Integer, PortLease> live = new ConcurrentHashMap<>();
        final BlockingQueue<Object> toClose = new LinkedBlockingQueue<>();
        final AtomicLong successes = new AtomicLong();
        final AtomicLong portTaken = new AtomicLong();
        final AtomicLong otherErrors = new AtomicLong();
        final AtomicLong closedDuringBind = new AtomicLong();
        final AtomicLong closedBeforeBind = new AtomicLong();
        final AtomicLong refusedClosed = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Round(ReservationPool pool) {
            this.pool = pool;
        }
    }

    private static final class Bound {
        final NetworkChannel channel;
        final PortLease lease;

        Bound(NetworkChannel channel, PortLease lease) {
            this.channel = channel;
            this.lease = lease;
        }
    }

    @Test
    void hundredThousandCyclesWithFaultsKeepExactCountsAndNoDescriptorLeaks() throws Exception {
        PortReservationProvider provider = LinuxPools.provider();
        runRound(provider, Protocol.TCP, Ending.NORMAL, 200); // warm-up: classes, jars
        Set<String> baseline = Descriptors.snapshot();
        long total = 0;
        for (Protocol protocol : Protocol.values()) {
            total += runRound(provider, protocol, Ending.NORMAL, 20_000);
            total += runRound(provider, protocol, Ending.CLOSE_MIDWAY, 20_000);
            total += runRound(provider, protocol, Ending.NORMAL, 20_000);
            total += runRound(provider, protocol, Ending.FORCED_CLOSE_MIDWAY, 20_000);
        }
        assertTrue(total >= 100_000, "only " + total + " cycles");
        Descriptors.awaitNoneOpenedSince(baseline);
    }

    /** Runs cycles until {@code target} binds succeeded (or the pool is closed midway); returns the successes. */
    private static long runRound(PortReservationProvider provider, Protocol protocol, Ending ending, int target)
            throws Exception {
        ReservationPool pool = ReservationPool.builder(provider, protocol).blockSize(4).maxBlocks(2)
                .idleTimeout(Duration.ofMillis(20)).waitWhenExhausted(Duration.ofSeconds(20))
                .cooldown(Duration.ZERO).build(); // blocking JDK channels close their socket synchronously
        Round round = new Round(pool);
        long closeAt = ending == Ending.NORMAL ? Long.MAX_VALUE : target / 2;
        Thread closer = new Thread(() -> closeLoop(round), "stress-closer");
        closer.start();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            Thread worker = new Thread(() -> {
                try {
                    work(round, protocol, target, closeAt, ending);
                } catch (Throwable e) {
                    round.failure.compareAndSet(null, e);
                }
            }, "stress-worker-" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(60));
            assertTrue(!worker.isAlive(), worker.getName() + " is stuck");
        }
        round.toClose.add(DONE);
        closer.join(TimeUnit.SECONDS.toMillis(60));
        if (round.failure.get() != null) {
            throw new AssertionError("round " + protocol + " " + ending + " failed", round.failure.get());
        }
        assertTrue(round.live.isEmpty(), "leases left: " + round.live);
        PoolStatistics s = pool.statistics();
        long faults = round.portTaken.get() + round.otherErrors.get();
        String counts = s + " successes=" + round.successes + " portTaken=" + round.portTaken + " otherErrors="
                + round.otherErrors + " closedDuringBind=" + round.closedDuringBind + " closedBeforeBind="
                + round.closedBeforeBind;
        assertEquals(round.successes.get() + faults + round.closedDuringBind.get() + round.closedBeforeBind.get(),
                s.leasesGranted(), counts);
        assertEquals(faults + round.closedDuringBind.get(), s.failures(), counts);
        assertEquals(0, s.leased(), counts);
        assertEquals(s.capacity(), s.free(), counts);
        assertEquals(0, s.waiters(), counts);
        assertEquals(0, s.timeouts(), counts);
        if (ending == Ending.NORMAL) {
            assertEquals(0, round.refusedClosed.get(), counts);
            assertEquals(0, round.closedDuringBind.get() + round.closedBeforeBind.get(), counts);
        } else {
            assertTrue(round.successes.get() >= closeAt, counts);
        }
        pool.close();
        pool.terminationFuture().get(10, TimeUnit.SECONDS);
        assertEquals(0, pool.statistics().blocks());
        return round.successes.get();
    }

    private static void work(Round round, Protocol protocol, int target, long closeAt, Ending ending)
            throws IOException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (round.successes.get() < target) {
            NetworkChannel channel = protocol == Protocol.TCP ? SocketChannel.open() : DatagramChannel.open();
            ReservableSocket real = channel instanceof SocketChannel ? ReservableSocket.of((SocketChannel) channel)
                    : ReservableSocket.of((DatagramChannel) channel);
            int dice = random.nextInt(1000);
            FaultySocket.Fault fault = dice < 2 ? FaultySocket.Fault.PORT_TAKEN
                    : dice < 4 ? FaultySocket.Fault.OTHER_ERROR : FaultySocket.Fault.NONE;
            PortLease lease;
            try {
                lease = (PortLease) round.pool.bind(new FaultySocket(real, fault), new InetSocketAddress(LOOPBACK, 0));
            } catch (PortReservationException e) {
                channel.close();
                if (fault == FaultySocket.Fault.PORT_TAKEN && e.getSuppressed().length == 1) {
                    round.portTaken.incrementAndGet(); // quarantined, then the retry was refused
                }
                if (e.reason() == Reason.CLOSED) {
                    if (e.getMessage().contains("grants no new leases")) {
                        round.refusedClosed.incrementAndGet();
                        return; // closed midway: this worker is done
                    }
                    if (e.getMessage().contains("closed forcibly")) {
                        round.closedBeforeBind.incrementAndGet(); // forced close between lease and bind
                    } else {
                        round.closedDuringBind.incrementAndGet(); // forced close during the bind
                    }
                    continue;
                }
                if (fault != FaultySocket.Fault.OTHER_ERROR) {
                    throw new AssertionError("unexpected failure with fault " + fault, e);
                }
                assertEquals(Reason.SYSTEM_ERROR, e.reason(), e.getMessage());
                round.otherErrors.incrementAndGet();
                continue;
            }
            if (fault == FaultySocket.Fault.PORT_TAKEN) {
                round.portTaken.incrementAndGet(); // the first port was quarantined, the next one bound
            }
            assertEquals(lease.port(), ((InetSocketAddress) channel.getLocalAddress()).getPort());
            PortLease previous = round.live.putIfAbsent(lease.port(), lease);
            assertNull(previous, "port " + lease.port() + " leased twice");
            long n = round.successes.incrementAndGet();
            if (n == closeAt) {
                if (ending == Ending.FORCED_CLOSE_MIDWAY) {
                    round.pool.closeForcibly();
                } else {
                    round.pool.close();
                }
            }
            if (random.nextInt(3) == 0) {
                round.toClose.add(new Bound(channel, lease)); // closed by another thread
            } else {
                closeBoth(round, channel, lease);
            }
        }
    }

    private static void closeLoop(Round round) {
        try {
            for (;;) {
                Object o = round.toClose.take();
                if (o == DONE) {
                    return;
                }
                Bound b = (Bound) o;
                closeBoth(round, b.channel, b.lease);
            }
        } catch (Throwable e) {
            round.failure.compareAndSet(null, e);
        }
    }

    /** Socket first, then the lease (after removing it from the live set, since its port may be leased again). */
    private static void closeBoth(Round round, NetworkChannel channel, PortLease lease) throws IOException {
        channel.close();
        assertTrue(round.live.remove(lease.port(), lease));
        lease.close();
    }
}
