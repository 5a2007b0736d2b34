package io.github.portreservation.pool;

import io.github.portreservation.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Where a lease-free poll starts ({@link LeaseSpread}), on a table of three blocks of four ports (30000-30003,
 * 30004-30007, 30008-30011): a thread that never collided takes the lowest block, a thread that lost a poll moves to
 * the next block with a free port and stays there, wraps to the lowest when there are not that many, and comes back
 * to offset 0 after {@link LeaseSpread#WAYS} collisions. Each case runs on a thread of its own, whose offset starts at
 * 0, and in each block the order stays FIFO.
 */
class LeaseSpreadTest {
    private final FakeProvider provider = new FakeProvider(30000);
    private final PoolParts parts = new PoolParts(ReservationPool.builder(provider, Protocol.TCP).blockSize(4)
            .maxBlocks(3));

    LeaseSpreadTest() {
        for (int slot = 0; slot < 3; slot++) {
            PoolBlock b = new PoolBlock(slot, provider.acquire(Protocol.TCP, 4), 0);
            synchronized (parts.lock) {
                parts.table.add(b, false);
            }
        }
    }

    @AfterEach
    void close() {
        parts.close();
    }

    private PortLease take() {
        return parts.table.takeReady(0, 0, 0);
    }

    private void giveBack(PortLease lease) {
        parts.table.giveBack(lease, false, 0);
    }

    private static <T> T onNewThread(Callable<T> body) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            return thread.submit(body).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        } finally {
            thread.shutdownNow();
        }
    }

    @Test
    void aThreadThatNeverCollidedLeasesFromTheLowestBlockInFifoOrder() throws Exception {
        assertEquals(List.of(30000, 30001, 30000), onNewThread(() -> {
            PortLease first = take();
            giveBack(first);
            List<Integer> ports = new ArrayList<>(List.of(first.port()));
            PortLease second = take();
            ports.add(second.port()); // 30001: 30000 went to the back of block 0's queue
            giveBack(second);
            for (int i = 0; i < 2; i++) {
                giveBack(take()); // 30002, 30003
            }
            ports.add(take().port());
            return ports;
        }));
    }

    @Test
    void aThreadThatCollidedLeasesFromTheNextBlockAndStaysThere() throws Exception {
        assertEquals(List.of(30004, 30005, 30000), onNewThread(() -> {
            parts.table.collided();
            List<Integer> ports = new ArrayList<>();
            ports.add(take().port());
            ports.add(take().port());
            ports.add(onNewThread(() -> take().port())); // another thread, which never collided: the lowest block
            return ports;
        }));
    }

    @Test
    void anOffsetBeyondTheBlocksWithAFreePortStartsAtTheLowestAgain() throws Exception {
        List<PortLease> blocks1And2 = new ArrayList<>();
        onNewThread(() -> {
            parts.table.collided();
            for (int i = 0; i < 8; i++) {
                blocks1And2.add(take()); // offset 1: block 1, then block 2 once block 1 is empty
            }
            return null;
        });
        assertEquals(30004, blocks1And2.get(0).port());
        assertEquals(30011, blocks1And2.get(7).port());
        assertEquals(30000, (int) onNewThread(() -> {
            parts.table.collided(); // offset 1, but only block 0 has a free port
            return take().port();
        }));
    }

    @Test
    void afterWaysCollisionsAThreadIsBackAtTheLowestBlock() throws Exception {
        assertEquals(30000, (int) onNewThread(() -> {
            for (int i = 0; i < LeaseSpread.WAYS; i++) {
                parts.table.collided();
            }
            return take().port();
        }));
    }

    @Test
    void noFreePortAnywhereIsNullWhateverTheOffset() throws Exception {
        assertNull(onNewThread(() -> {
            parts.table.collided();
            for (int i = 0; i < 12; i++) {
                take();
            }
            return take();
        }));
    }
}
