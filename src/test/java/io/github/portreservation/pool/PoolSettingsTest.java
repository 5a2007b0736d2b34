package io.github.portreservation.pool;

import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The settings a builder makes: defaults, the rules across settings, and a builder left unchanged by build(). */
class PoolSettingsTest {
    private static final PortRange A = PortRange.parse("31000-31001");
    private static final PortRange B = PortRange.parse("31100-31102");
    private final FakeProvider provider = new FakeProvider(30000);

    private ReservationPoolBuilder builder() {
        return ReservationPool.builder(provider, Protocol.TCP);
    }

    private static void invalid(String message, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
        assertEquals("INVALID_ARGUMENT: " + message, e.getMessage());
    }

    @Test
    void defaults() {
        PoolSettings s = builder().settings();
        assertEquals(64, s.blockSize());
        assertEquals(List.of(), s.fixedRanges());
        assertEquals(16, s.maxBlocks());
        assertEquals(16, s.slots());
        assertEquals(65535, s.maxPorts());
        assertEquals(0, s.minBlocks());
        assertEquals(0, s.cooldownNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(60), s.idleNanos());
        assertEquals(PoolSettings.FAIL_AT_ONCE, s.waitNanos());
        assertEquals(8, s.maxBindAttempts());
        assertSame(PoolScheduler.shared(), s.scheduler());
        assertSame(DiscoveredNonBlockingThreads.instance(), s.nonBlocking());
        assertEquals("TCP, blocks of 64 from fake", s.describe());
    }

    @Test
    void fixedRangesAreOneSlotEachAndBoundTheDefaultMaximum() {
        PoolSettings s = builder().fixedRanges(A, B).settings();
        assertEquals(0, s.blockSize());
        assertEquals(List.of(A, B), s.fixedRanges());
        assertEquals(2, s.maxBlocks());
        assertEquals(2, s.slots());
        assertEquals(2, s.sizeOfSlot(0));
        assertEquals(3, s.sizeOfSlot(1));
        assertEquals("TCP, fixed ranges [31000-31001, 31100-31102] from fake", s.describe());
    }

    @Test
    void makingSettingsLeavesTheBuilderAsItWas() {
        ReservationPoolBuilder builder = builder().fixedRanges(A, B).waitWhenExhausted(Duration.ofSeconds(1));
        PoolSettings first = builder.settings();
        builder.build().closeForcibly();
        assertEquals(first, builder.settings());
        PoolSettings any = builder.anyBlocks().settings();
        assertEquals(16, any.maxBlocks()); // the fixed ranges' maximum of 2 was never written into the builder
        assertEquals(64, any.blockSize());
    }

    @Test
    void rulesAcrossSettingsAreCheckedWhenBuilding() {
        invalid("block size 8 with fixed ranges is invalid: each fixed range is one block of its own size; drop "
                + "blockSize(...) or call anyBlocks()", () -> builder().blockSize(8).fixedRanges(A).build());
        invalid("maximum of 3 blocks is invalid: there are only 2 fixed ranges; pass maxBlocks(2) or add ranges",
                () -> builder().fixedRanges(A, B).maxBlocks(3).build());
        invalid("minimum of 3 blocks is invalid: exceeds the maximum of 2; lower minBlocks(...) or raise "
                + "maxBlocks(...)", () -> builder().maxBlocks(2).minBlocks(3).build());
        invalid("maximum of 2 ports is invalid: is smaller than the smallest block (3 ports), so the pool could "
                + "never grow; raise maxPorts(...) or use smaller blocks", () -> builder().fixedRanges(B).maxPorts(2)
                .build());
        assertEquals(0, provider.acquireCalls.get());
    }

    @Test
    void theCanonicalConstructorRefusesContradictions() {
        PoolSettings s = builder().fixedRanges(A, B).settings();
        invalid("maximum of 3 blocks is invalid: there are only 2 fixed ranges; pass maxBlocks(2) or add ranges",
                () -> new PoolSettings(s.provider(), s.protocol(), 0, s.fixedRanges(), 3, s.maxPorts(), 0, 0,
                        s.idleNanos(), s.waitNanos(), 8, s.scheduler(), s.clock(), s.nonBlocking(), null));
        assertThrows(IllegalArgumentException.class, () -> new PoolSettings(s.provider(), s.protocol(), 4,
                s.fixedRanges(), 2, s.maxPorts(), 0, 0, s.idleNanos(), s.waitNanos(), 8, s.scheduler(), s.clock(),
                s.nonBlocking(), null));
    }

    @Test
    void settersRefuseNullsWithTheFix() {
        invalid("scheduler null is invalid: must not be null; pass a running ScheduledExecutorService, or leave the "
                + "default", () -> builder().scheduler(null));
        invalid("NonBlockingThreads null is invalid: must not be null; pass a policy such as thread -> false, or "
                + "leave the discovered default", () -> builder().nonBlockingThreads(null));
        invalid("cooldown null is invalid: must not be null; pass a duration such as Duration.ofSeconds(5)",
                () -> builder().cooldown(null));
        invalid("provider null is invalid: must not be null; pass PortReservations.provider()",
                () -> ReservationPool.builder(null, Protocol.TCP));
    }
}
