package io.github.portreservation.pool;

import io.github.portreservation.PortBinding;
import io.github.portreservation.PortRange;
import io.github.portreservation.PortReservationException;
import io.github.portreservation.PortReservationException.Reason;
import io.github.portreservation.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shape leases against the test-only provider (no sockets): what a shape holds, all or nothing, several sockets per
 * port and protocol where the reservation allows (joins accepted, refused, racing the close), returned whole when the
 * lease is closed and its last socket is gone, cooldown and quarantine of the whole shape, blocks cut into one shape
 * at a time, waiters of several shapes, and the errors.
 */
class ShapeLeaseTest {
    /** Blocks from an odd port: the first even port of a block is its second one. */
    private final FakeProvider provider = new FakeProvider(30001);
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<ReservationPool> pools = new ArrayList<>();

    private ReservationPoolBuilder udp() {
        return ReservationPool.builder(provider, Protocol.UDP).blockSize(8).maxBlocks(1).keepIdleBlocks()
                .clock(now::get);
    }

    private ReservationPool build(ReservationPoolBuilder builder) {
        ReservationPool pool = builder.build();
        pools.add(pool);
        return pool;
    }

    @AfterEach
    void closePools() {
        pools.forEach(ReservationPool::closeForcibly);
        assertEquals(0, provider.openReservations.get(), "every reservation released");
    }

    private static PortReservationException expect(Reason reason, Executable call) {
        PortReservationException e = assertThrows(PortReservationException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    private static FakeSocket udpSocket() {
        return new FakeSocket(Protocol.UDP);
    }

    @Test
    void anRtpPairIsAnEvenPortAndTheNextOneFromABlockCutIntoPairs() {
        ReservationPool pool = build(udp());
        ShapeLease first = pool.lease(PortShape.rtpPair());
        assertEquals(PortRange.of(30002, 2), first.ports());
        assertEquals(PortShape.rtpPair(), first.shape());
        assertEquals(PortRange.of(30001, 8), first.blockRange());
        assertEquals(List.of(Protocol.UDP), first.protocols());
        assertEquals(PortRange.of(30004, 2), pool.lease(PortShape.rtpPair()).ports());
        assertEquals(PortRange.of(30006, 2), pool.lease(PortShape.rtpPair()).ports());
        // 30001 and 30008 are in no pair: the block holds three.
        PoolStatistics s = pool.statistics();
        assertEquals(6, s.capacity());
        assertEquals(6, s.leased());
        assertEquals(0, s.free());
        assertEquals(3, s.leasesGranted());
        assertEquals("EXHAUSTED: no free run of 2 consecutive ports from a multiple of 2 in ReservationPool[UDP, "
                + "blocks of 8 from fake]: 6 of 6 ports leased in 1 of at most 1 blocks; close leases sooner, raise "
                + "maxBlocks(...)/maxPorts(...), or use waitWhenExhausted(timeout)",
                expect(Reason.EXHAUSTED, () -> pool.lease(PortShape.rtpPair())).getMessage());
        first.close();
        assertEquals(2, pool.statistics().free());
        assertEquals(PortRange.of(30002, 2), pool.lease(PortShape.rtpPair()).ports());
    }

    @Test
    void contiguousAndAlignedShapesAreCutFromTheFirstMultipleOfTheirAlignment() {
        ReservationPool pool = build(udp().blockSize(16));
        ShapeLease four = pool.lease(PortShape.contiguous(4).alignedTo(4)); // block 30001-30016
        assertEquals(PortRange.of(30004, 4), four.ports());
        ReservationPool three = build(ReservationPool.builder(new FakeProvider(40000), Protocol.TCP).blockSize(7));
        assertEquals(PortRange.of(40000, 3), three.lease(PortShape.contiguous(3)).ports());
        assertEquals(PortRange.of(40003, 3), three.lease(PortShape.contiguous(3)).ports());
        assertEquals(6, three.statistics().capacity(), "40006 is in no unit of 3 ports");
        assertEquals(PortRange.of(40007, 3), three.lease(PortShape.contiguous(3)).ports(), "a second block");
        assertEquals("3 consecutive ports", PortShape.contiguous(3).toString());
        assertEquals("4 consecutive ports from a multiple of 4", PortShape.contiguous(4).alignedTo(4).toString());
        assertEquals(PortShape.rtpPair(), PortShape.contiguous(2).alignedTo(2));
        assertEquals(PortShape.single(), PortShape.contiguous(1));
        three.closeForcibly();
    }

    @Test
    void aShapeIsTakenWholeOrNotAtAllAndAFailureChangesNothing() {
        ReservationPool pool = build(udp().minBlocks(1));
        List<PortLease> evens = List.of(pool.lease(30002), pool.lease(30004), pool.lease(30006));
        // Free: 30001, 30003, 30005, 30007, 30008: no even port with a free neighbour.
        PoolStatistics before = pool.statistics();
        PortReservationException e = expect(Reason.EXHAUSTED, () -> pool.lease(PortShape.rtpPair()));
        assertEquals("EXHAUSTED: no free run of 2 consecutive ports from a multiple of 2 in ReservationPool[UDP, "
                + "blocks of 8 from fake]: 3 of 8 ports leased in 1 of at most 1 blocks, 5 free in blocks cut into "
                + "other shapes (a block changes shape only when none of its ports is leased); close leases sooner, "
                + "raise maxBlocks(...)/maxPorts(...), or use waitWhenExhausted(timeout)", e.getMessage());
        PoolStatistics after = pool.statistics();
        assertEquals(before.leased(), after.leased());
        assertEquals(before.free(), after.free());
        assertEquals(before.capacity(), after.capacity());
        assertEquals(before.leasesGranted(), after.leasesGranted());
        assertEquals(0, after.waiters());
        assertEquals(30001, pool.lease(30001).port(), "every free port is still there");
        evens.forEach(PortLease::close);
    }

    @Test
    void aShapeIsCarvedOutOfTheFreePortsOfABlockOfSinglePortsWhenNoBlockCanBeCutIntoIt() {
        ReservationPool pool = build(udp());
        PortLease single = pool.lease(); // 30001: the block serves single ports
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        assertEquals(PortRange.of(30002, 2), pair.ports());
        assertEquals(3, pool.statistics().leased());
        assertEquals(1, pool.statistics().blocks());
        assertEquals(30004, pool.lease().port(), "the block still serves single ports");
        assertEquals(PortRange.of(30006, 2), pool.lease(PortShape.rtpPair()).ports());
        expect(Reason.EXHAUSTED, () -> pool.lease(PortShape.rtpPair())); // 30005 and 30008 are left
        pair.close();
        assertEquals(30002, pool.lease(30002).port(), "its ports came back as single ports");
        assertEquals(30003, pool.lease(30003).port());
        single.close();
    }

    @Test
    void aCarvedShapeIsQuarantinedAndCoolsDownAsAWhole() {
        ReservationPool pool = build(udp().cooldown(Duration.ofSeconds(1)));
        PortLease single = pool.lease();
        provider.failingPorts.add(30003);
        ShapeLease carved = pool.lease(PortShape.rtpPair());
        assertEquals(PortRange.of(30002, 2), carved.ports());
        FakeSocket rtp = udpSocket();
        PortBinding binding = carved.bind(rtp, null);
        expect(Reason.IN_USE, () -> carved.bind(udpSocket(), null));
        rtp.open = false;
        binding.close();
        assertEquals(2, pool.statistics().quarantined());
        assertTrue(expect(Reason.IN_USE, () -> pool.lease(30002)).getMessage().contains("quarantined"));
        ShapeLease other = pool.lease(PortShape.rtpPair());
        assertEquals(PortRange.of(30004, 2), other.ports());
        other.close();
        assertTrue(expect(Reason.IN_USE, () -> pool.lease(30005)).getMessage().contains("cools down"));
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(30005, pool.lease(30005).port());
        single.close();
    }

    @Test
    void aPoolThatMayGrowGrowsByABlockCutIntoTheShape() {
        ReservationPool pool = build(udp().maxBlocks(2));
        List<PortLease> singles = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            singles.add(pool.lease()); // 30001-30008: full
        }
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        assertEquals(PortRange.of(30010, 2), pair.ports()); // block 30009-30016
        assertEquals(List.of(PortRange.of(30001, 8), PortRange.of(30009, 8)), pool.blockRanges());
        singles.get(3).close();
        assertEquals(30004, pool.lease().port(), "single ports still come from the first block");
    }

    @Test
    void aBlockIsCutBackIntoSinglePortsForAnExplicitLeaseWhenNoneOfItsPortsIsLeased() {
        ReservationPool pool = build(udp());
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        assertEquals("IN_USE: port 30005 of ReservationPool[UDP, blocks of 8 from fake] is in block 30001-30008, "
                + "which serves leases of 2 consecutive ports from a multiple of 2 while any of them is leased or "
                + "cooling down; request port 0, or a port of another block",
                expect(Reason.IN_USE, () -> pool.lease(30005)).getMessage());
        pair.close();
        assertEquals(30005, pool.lease(30005).port());
        assertEquals(8, pool.statistics().capacity());
    }

    @Test
    void aShapeThatNoBlockCanHoldIsRefusedWithTheRuleAndTheFix() {
        ReservationPool pool = build(udp());
        assertEquals("INVALID_ARGUMENT: shape of 9 consecutive ports is invalid: it is larger than the blocks of "
                + "ReservationPool[UDP, blocks of 8 from fake] (8 ports); build the pool with blockSize(9) or more, "
                + "or lease a smaller shape",
                expect(Reason.INVALID_ARGUMENT, () -> pool.lease(PortShape.contiguous(9))).getMessage());
        ReservationPool pairsOfTwo = build(udp().blockSize(2));
        assertEquals("INVALID_ARGUMENT: shape of 2 consecutive ports from a multiple of 2 is invalid: a block of "
                + "ReservationPool[UDP, blocks of 2 from fake] may start at any port the provider chooses, so only a "
                + "block of at least 3 ports holds it; build the pool with blockSize(3) or more, or with "
                + "fixedRanges(...) that hold it",
                expect(Reason.INVALID_ARGUMENT, () -> pairsOfTwo.leaseAsync(PortShape.rtpPair())).getMessage());
        ReservationPool fixed = build(ReservationPool.builder(provider, Protocol.UDP)
                .fixedRanges(PortRange.parse("31001-31002"), PortRange.parse("31011-31013")));
        assertEquals("INVALID_ARGUMENT: shape of 4 consecutive ports is invalid: no fixed range of ReservationPool["
                + "UDP, fixed ranges [31001-31002, 31011-31013] from fake] holds it; add a fixed range that does, or "
                + "lease a smaller shape",
                expect(Reason.INVALID_ARGUMENT, () -> fixed.lease(PortShape.contiguous(4))).getMessage());
        assertEquals("INVALID_ARGUMENT: shape null is invalid: must not be null; pass a shape such as "
                + "PortShape.rtpPair()", expect(Reason.INVALID_ARGUMENT, () -> pool.lease(null)).getMessage());
        assertEquals("INVALID_ARGUMENT: shape of 0 ports is invalid: a shape holds 1..65535 consecutive ports; pass "
                + "the number of ports one lease needs, e.g. contiguous(2)",
                expect(Reason.INVALID_ARGUMENT, () -> PortShape.contiguous(0)).getMessage());
        assertEquals("INVALID_ARGUMENT: alignment 0 of 2 consecutive ports is invalid: the first port of a shape is "
                + "a multiple of an alignment in 1..65535; pass alignedTo(2) for an even first port, or alignedTo(1) "
                + "for any", expect(Reason.INVALID_ARGUMENT, () -> PortShape.contiguous(2).alignedTo(0)).getMessage());
        assertEquals(0, provider.acquireCalls.get(), "refused before any growth");
        assertEquals(0, pool.statistics().blocks());
    }

    @Test
    void growthByFixedRangesUsesOnlyRangesThatHoldTheShape() {
        ReservationPool pool = build(ReservationPool.builder(provider, Protocol.UDP)
                .fixedRanges(PortRange.parse("31001-31002"), PortRange.parse("31011-31013")).keepIdleBlocks());
        assertEquals(PortRange.of(31012, 2), pool.lease(PortShape.rtpPair()).ports());
        assertEquals(List.of(PortRange.parse("31011-31013")), pool.blockRanges());
        assertEquals(31001, pool.lease().port(), "the range without a pair serves single ports");
    }

    @Test
    void portZeroTakesTheLowestPortWithoutASocketAndAPortWithOneTakesASecondOnlyWhereTheReservationAllows() {
        ReservationPool pool = build(udp());
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        FakeSocket rtp = udpSocket();
        PortBinding rtpBinding = pair.bind(rtp, null);
        assertEquals(30002, rtpBinding.port());
        assertEquals(30002, rtp.bound);
        PortBinding rtcpBinding = pair.bind(udpSocket(), new InetSocketAddress("127.0.0.1", 0));
        assertEquals(30003, rtcpBinding.port());
        assertEquals(new InetSocketAddress("127.0.0.1", 30003), rtcpBinding.localAddress());
        assertEquals("EXHAUSTED: every port of the lease of ports 30002-30003 already has a UDP socket, so "
                + "FakeSocket[0] gets none; close one of them and its binding first, bind it to a port of the lease "
                + "beside a socket there, or lease another shape",
                expect(Reason.EXHAUSTED, () -> pair.bind(udpSocket(), null)).getMessage());
        // The fake reservation binds one socket per port: the join is refused, and nothing changes.
        assertEquals("IN_USE: port 30002 of the lease of ports 30002-30003 cannot carry FakeSocket[0] on 0.0.0.0 "
                + "beside its UDP socket FakeSocket[30002]; its reservation refused it: IN_USE: fake: port 30002 "
                + "bound twice; bind it to another port of the lease, or where its reservation allows a second "
                + "socket (Linux: an address that overlaps none on the port, or one whose sockets all asked to share "
                + "it)",
                expect(Reason.IN_USE, () -> pair.bind(udpSocket(), new InetSocketAddress(30002))).getMessage());
        assertEquals("OUTSIDE_RESERVATION: port 30004 is outside the lease of ports 30002-30003 (ports "
                + "30002-30003); request port 0 for any free port of it, or a port in 30002-30003",
                expect(Reason.OUTSIDE_RESERVATION, () -> pair.bind(udpSocket(), new InetSocketAddress(30004)))
                        .getMessage());
        assertEquals("INVALID_ARGUMENT: TCP socket FakeSocket[0] is invalid: the lease of ports 30002-30003 binds UDP "
                + "sockets only; bind UDP sockets from it, and use a TCP reservation or pool for the other",
                expect(Reason.INVALID_ARGUMENT, () -> pair.bind(new FakeSocket(Protocol.TCP), null)).getMessage());
        // A port whose socket is gone and whose binding is closed takes a new socket.
        rtp.open = false;
        rtpBinding.close();
        assertFalse(rtpBinding.isActive());
        assertEquals(30002, pair.bind(udpSocket(), null).port());
        assertEquals(0, pool.statistics().failures(), "refusals of the caller's own making are no failures");
        assertEquals("ShapeLease[30002-30003 of 30001-30008, [UDP], 2 sockets]", pair.toString());
    }

    private static InetSocketAddress at(String address, int port) {
        return new InetSocketAddress(address, port);
    }

    /** A pool whose reservations bind a second socket to a port on another address, as on Linux. */
    private ReservationPool sharingPool() {
        provider.otherAddressesShare = true;
        return build(udp());
    }

    /** Binds {@code socket} on 127.0.0.1 to the lowest port of {@code pair} without a UDP socket. */
    private static PortBinding bindV4(ShapeLease pair, FakeSocket socket) {
        return pair.bind(socket, at("127.0.0.1", 0));
    }

    /** Asserts the pool's leased and free ports, bind failures and quarantined ports. */
    private static void assertCounts(ReservationPool pool, int leased, int free, int failures, String what) {
        PoolStatistics s = pool.statistics();
        assertEquals(leased + " leased, " + free + " free, " + failures + " failures, 0 quarantined", s.leased()
                + " leased, " + s.free() + " free, " + s.failures() + " failures, " + s.quarantined() + " quarantined",
                what);
    }

    @Test
    void aSocketJoinsAPortOfTheShapeWhereTheReservationAllowsAndThePortsComeBackAfterTheLastSocketAndTheLease() {
        ReservationPool pool = sharingPool();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        FakeSocket v4 = udpSocket();
        FakeSocket v6 = udpSocket();
        FakeSocket rtcp = udpSocket();
        PortBinding v4Binding = bindV4(pair, v4);
        PortBinding v6Binding = pair.bind(v6, at("::1", 30002));
        assertEquals(at("127.0.0.1", 30002), v4Binding.localAddress());
        assertEquals(at("::1", 30002), v6Binding.localAddress());
        assertNotSame(v4Binding, v6Binding);
        assertEquals(30002, v6.bound);
        assertEquals(30003, pair.bind(rtcp, null).port(), "port 0: the lowest port without a UDP socket");
        assertEquals("ShapeLease[30002-30003 of 30001-30008, [UDP], 3 sockets]", pair.toString());
        assertCounts(pool, 2, 4, 0, "one lease of two ports carries three sockets");
        assertEquals(1, pool.statistics().leasesGranted());

        pair.close();
        assertEquals("ShapeLease[30002-30003 of 30001-30008, [UDP], 3 sockets, closed]", pair.toString());
        v4.open = false;
        v4Binding.close();
        assertCounts(pool, 2, 4, 0, "the ::1 socket still holds port 30002");
        rtcp.open = false;
        assertCounts(pool, 2, 4, 0, "the ::1 socket still holds port 30002, the RTCP one is gone");
        v6.open = false;
        v6Binding.close();
        assertCounts(pool, 0, 6, 0, "the last socket and the lease are gone: both ports are back");
        assertEquals("ShapeLease[30002-30003 of 30001-30008, [UDP], 0 sockets, closed]", pair.toString());
    }

    @Test
    void aJoinTheReservationRefusesIsInUseAndChangesNothingWhileAnotherSocketOnAFreePortQuarantinesTheShape() {
        ReservationPool pool = sharingPool();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        FakeSocket rtp = udpSocket();
        PortBinding rtpBinding = bindV4(pair, rtp);
        FakeSocket second = udpSocket();
        assertEquals("IN_USE: port 30002 of the lease of ports 30002-30003 cannot carry FakeSocket[0] on 127.0.0.1 "
                + "beside its UDP socket FakeSocket[30002]; its reservation refused it: IN_USE: fake: port 30002 "
                + "bound twice; bind it to another port of the lease, or where its reservation allows a second "
                + "socket (Linux: an address that overlaps none on the port, or one whose sockets all asked to share "
                + "it)",
                expect(Reason.IN_USE, () -> pair.bind(second, at("127.0.0.1", 30002))).getMessage());
        assertEquals(0, second.bound, "the socket is left unbound");
        assertTrue(pair.isActive());
        assertFalse(pair.isQuarantined());
        assertCounts(pool, 2, 4, 0, "a refused join changes no count");
        assertEquals("ShapeLease[30002-30003 of 30001-30008, [UDP], 1 socket]", pair.toString());
        // The refused socket binds elsewhere on the port: the lease is as it was.
        assertEquals(at("::1", 30002), pair.bind(second, at("::1", 30002)).localAddress());

        // A first socket on a port another socket holds is no join: the shape is quarantined and the lease closed.
        provider.failingPorts.add(30003);
        assertEquals("IN_USE: fake: port 30003 taken by another process",
                expect(Reason.IN_USE, () -> pair.bind(udpSocket(), null)).getMessage());
        assertTrue(pair.isQuarantined());
        assertFalse(pair.isActive());
        assertEquals(1, pool.statistics().failures());
        rtp.open = false;
        second.open = false;
        rtpBinding.close();
        assertEquals(2, pool.statistics().quarantined(), "both sockets gone: the whole shape is quarantined");
        assertEquals(0, pool.statistics().leased());
    }

    @Test
    void aCloseDuringAJoinLeavesThePortsLeasedUntilBothSocketsAreGoneAndAJoinAfterTheCloseIsRefused() {
        ReservationPool pool = sharingPool();
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        FakeSocket rtp = udpSocket();
        PortBinding rtpBinding = bindV4(pair, rtp);
        FakeSocket joining = udpSocket();
        provider.duringBind = () -> { // the close runs while the reservation binds the joining socket
            provider.duringBind = null;
            pair.close();
        };
        assertEquals("CLOSED: the lease of ports 30002-30003 was closed while FakeSocket[30002] was being bound to "
                + "port 30002; close the socket and lease another shape",
                expect(Reason.CLOSED, () -> pair.bind(joining, at("::1", 30002))).getMessage());
        assertFalse(pair.isActive());
        assertCounts(pool, 2, 4, 0, "both sockets still exist");
        rtp.open = false;
        rtpBinding.close();
        assertCounts(pool, 2, 4, 0, "the joined socket still exists, its binding closed");
        joining.open = false;
        assertCounts(pool, 0, 6, 0, "seen gone: back");

        ShapeLease closed = pool.lease(PortShape.rtpPair());
        assertEquals(PortRange.of(30004, 2), closed.ports());
        FakeSocket first = udpSocket();
        PortBinding firstBinding = closed.bind(first, at("127.0.0.1", 0));
        closed.close();
        FakeSocket late = udpSocket();
        assertEquals("CLOSED: the lease of ports 30004-30005 is closed; lease another shape",
                expect(Reason.CLOSED, () -> closed.bind(late, at("::1", 30004))).getMessage());
        assertEquals(0, late.bound);
        first.open = false;
        firstBinding.close();
        assertCounts(pool, 0, 6, 0, "the lease's only socket is gone: back");
    }

    @Test
    void aBindThatFailsAfterACloseWaitedForItGivesTheShapeBackAtOnce() {
        ReservationPool pool = build(udp().cooldown(Duration.ofSeconds(1)));
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        pool.lease(PortShape.rtpPair());
        pool.lease(PortShape.rtpPair());
        provider.duringBind = () -> {
            provider.duringBind = null;
            pair.close(); // the close finds the bind under way: the lease waits for it
            throw new PortReservationException(Reason.SYSTEM_ERROR, "fake: the bind failed after the close");
        };
        assertEquals("SYSTEM_ERROR: fake: the bind failed after the close",
                expect(Reason.SYSTEM_ERROR, () -> pair.bind(udpSocket(), null)).getMessage());
        assertFalse(pair.isActive());
        assertFalse(pair.isQuarantined());
        assertEquals(1, pool.statistics().failures());
        now.addAndGet(TimeUnit.SECONDS.toNanos(1)); // past the cooldown of a return at the failure, not of a later one
        assertEquals(PortRange.of(30002, 2), pool.lease(PortShape.rtpPair()).ports());
    }

    @Test
    void joinsRacingTheLeasesCloseNeverLoseOrKeepThePorts() throws Exception {
        ReservationPool pool = sharingPool();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            int joined = 0;
            for (int i = 0; i < 500; i++) {
                ShapeLease pair = pool.lease(PortShape.rtpPair());
                FakeSocket rtp = udpSocket();
                PortBinding rtpBinding = bindV4(pair, rtp);
                int port = rtpBinding.port();
                FakeSocket joining = udpSocket();
                CountDownLatch start = new CountDownLatch(1);
                Future<?> closing = threads.submit(() -> {
                    start.await();
                    pair.close();
                    return null;
                });
                Future<PortBinding> join = threads.submit(() -> {
                    start.await();
                    try {
                        return pair.bind(joining, at("::1", port));
                    } catch (PortReservationException e) {
                        assertEquals(Reason.CLOSED, e.reason(), e.getMessage());
                        return null;
                    }
                });
                start.countDown();
                closing.get(10, TimeUnit.SECONDS);
                PortBinding binding = join.get(10, TimeUnit.SECONDS);
                assertCounts(pool, 2, 4, 0, "round " + i + ": the first socket still holds the ports");
                rtp.open = false;
                rtpBinding.close();
                if (binding != null || joining.bound != 0) {
                    joined += binding != null ? 1 : 0;
                    assertCounts(pool, 2, 4, 0, "round " + i + ": the joined socket still holds port " + port);
                    joining.open = false;
                    if (binding != null) {
                        binding.close();
                    }
                }
                assertCounts(pool, 0, 6, 0, "round " + i + ": back");
            }
            System.out.println("joins that found the shape lease open: " + joined + " of 500");
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void theShapeComesBackWholeOnceTheLeaseIsClosedAndItsLastSocketIsGone() {
        ReservationPool pool = build(udp());
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        FakeSocket rtp = udpSocket();
        FakeSocket rtcp = udpSocket();
        PortBinding rtpBinding = pair.bind(rtp, null);
        PortBinding rtcpBinding = pair.bind(rtcp, null);
        pair.close();
        assertFalse(pair.isActive());
        assertTrue(rtpBinding.isActive(), "the bindings of sockets still open stay open");
        assertEquals(2, pool.statistics().leased(), "both sockets still exist");
        rtp.open = false;
        assertEquals(2, pool.statistics().leased(), "the RTCP socket still exists: nothing comes back");
        rtcp.open = false;
        rtcpBinding.close();
        assertEquals(0, pool.statistics().leased(), "the last socket is gone: both ports are back");
        assertEquals(6, pool.statistics().free());
        expect(Reason.CLOSED, () -> pair.bind(udpSocket(), null));
        pair.close(); // idempotent
        assertEquals(6, pool.statistics().free());
    }

    @Test
    void theLastSocketsBindingCloseGivesTheLingeringShapeBackAtOnce() {
        ReservationPool pool = build(udp().cooldown(Duration.ofSeconds(1)));
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        pool.lease(PortShape.rtpPair());
        pool.lease(PortShape.rtpPair());
        FakeSocket rtp = udpSocket();
        PortBinding binding = pair.bind(rtp, null);
        pair.close();
        rtp.open = false;
        binding.close(); // as a channel's release does, once its socket is gone: the pair is back now
        now.addAndGet(TimeUnit.SECONDS.toNanos(1)); // past the cooldown of a return now, not of one noticed later
        assertEquals(PortRange.of(30002, 2), pool.lease(PortShape.rtpPair()).ports());
    }

    @Test
    void aLeaseClosedBeforeItsSocketComesBackWhenThePoolSeesTheSocketGone() {
        ReservationPool pool = build(udp().cooldown(Duration.ofSeconds(1)));
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        FakeSocket rtp = udpSocket();
        PortBinding binding = pair.bind(rtp, null);
        pair.close();
        rtp.open = false; // without closing its binding (a channel closed forcibly)
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(0, pool.statistics().leased(), "seen gone: back, and cooling from now");
        assertFalse(binding.isActive(), "the binding of the socket gone is closed when the shape comes back");
        assertEquals(PortRange.of(30004, 2), pool.lease(PortShape.rtpPair()).ports());
        assertEquals(PortRange.of(30006, 2), pool.lease(PortShape.rtpPair()).ports());
        assertTrue(expect(Reason.EXHAUSTED, () -> pool.lease(PortShape.rtpPair())).getMessage()
                .contains("2 cooling down"));
    }

    @Test
    void socketsClosedBeforeTheLeaseKeepThePortsLeasedUntilTheLeaseIsClosed() {
        ReservationPool pool = build(udp());
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        FakeSocket rtp = udpSocket();
        PortBinding binding = pair.bind(rtp, null);
        rtp.open = false;
        binding.close();
        assertEquals(2, pool.statistics().leased());
        assertTrue(pair.isActive());
        pair.close();
        assertEquals(0, pool.statistics().leased());
    }

    @Test
    void theCooldownAppliesToTheWholeShape() {
        ReservationPool pool = build(udp().cooldown(Duration.ofSeconds(1)));
        List<ShapeLease> all = List.of(pool.lease(PortShape.rtpPair()), pool.lease(PortShape.rtpPair()),
                pool.lease(PortShape.rtpPair()));
        all.get(0).close();
        PortReservationException e = expect(Reason.EXHAUSTED, () -> pool.lease(PortShape.rtpPair()));
        assertTrue(e.getMessage().contains("4 of 6 ports leased in 1 of at most 1 blocks, 2 cooling down"),
                e.getMessage());
        expect(Reason.IN_USE, () -> pool.lease(30002)); // its block serves pairs, one of them cooling down
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertEquals(PortRange.of(30002, 2), pool.lease(PortShape.rtpPair()).ports());
    }

    @Test
    void aBindThatFindsAnotherSocketOnOnePortQuarantinesTheWholeShape() {
        ReservationPool pool = build(udp());
        provider.failingPorts.add(30003);
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        FakeSocket rtp = udpSocket();
        PortBinding rtpBinding = pair.bind(rtp, null);
        assertEquals("IN_USE: fake: port 30003 taken by another process",
                expect(Reason.IN_USE, () -> pair.bind(udpSocket(), null)).getMessage());
        assertTrue(pair.isQuarantined());
        assertFalse(pair.isActive(), "the lease is closed");
        assertEquals(1, pool.statistics().failures());
        assertEquals(0, pool.statistics().quarantined(), "the RTP socket still uses its port");
        rtp.open = false;
        rtpBinding.close();
        PoolStatistics s = pool.statistics();
        assertEquals(2, s.quarantined());
        assertEquals(4, s.capacity());
        assertEquals(0, s.leased());
        assertEquals(PortRange.of(30004, 2), pool.lease(PortShape.rtpPair()).ports());
        assertEquals(PortRange.of(30006, 2), pool.lease(PortShape.rtpPair()).ports());
        expect(Reason.EXHAUSTED, () -> pool.lease(PortShape.rtpPair())); // 30002 is never leased again
    }

    @Test
    void waitersOfOneShapeDoNotHoldBackThoseOfAnother() throws Exception {
        ReservationPool pool = build(udp().maxBlocks(2).waitWhenExhausted(Duration.ofSeconds(10)));
        List<PortLease> singles = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            singles.add(pool.lease()); // block 30001-30008
        }
        List<ShapeLease> pairs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pairs.add(pool.lease(PortShape.rtpPair())); // block 30009-30016: 30010, 30012, 30014
        }
        CompletableFuture<ShapeLease> pair = pool.leaseAsync(PortShape.rtpPair());
        CompletableFuture<PortLease> single = pool.leaseAsync();
        assertEquals(2, pool.statistics().waiters());
        singles.get(3).close();
        assertEquals(30004, single.get(5, TimeUnit.SECONDS).port(), "served past the pair waiting before it");
        assertFalse(pair.isDone());
        pairs.get(1).close();
        assertEquals(PortRange.of(30012, 2), pair.get(5, TimeUnit.SECONDS).ports());
        assertEquals(0, pool.statistics().waiters());
    }

    @Test
    void anAsynchronousShapeRequestGrowsOnTheSchedulerAndCancellingItWithdrawsIt() throws Exception {
        ReservationPool pool = build(udp().waitWhenExhausted(Duration.ofSeconds(10)));
        ShapeLease first = pool.leaseAsync(PortShape.contiguous(8)).get(5, TimeUnit.SECONDS);
        assertEquals(PortRange.of(30001, 8), first.ports());
        CompletableFuture<ShapeLease> waiting = pool.leaseAsync(PortShape.contiguous(8));
        assertEquals(1, pool.statistics().waiters());
        waiting.cancel(false);
        assertEquals(0, pool.statistics().waiters());
        first.close();
        assertEquals(0, pool.statistics().leased(), "nothing was granted to the cancelled request");
        assertEquals(PortRange.of(30001, 8), pool.lease(PortShape.contiguous(8)).ports());
    }

    @Test
    void closingThePoolReleasesABlockWhenItsLastShapeComesBackAndAForcedCloseEndsTheLeases() throws Exception {
        ReservationPool pool = build(udp());
        ShapeLease pair = pool.lease(PortShape.rtpPair());
        pool.close();
        assertEquals(1, provider.openReservations.get());
        expect(Reason.CLOSED, () -> pool.lease(PortShape.rtpPair()));
        pair.close();
        pool.terminationFuture().get(5, TimeUnit.SECONDS);
        assertEquals(0, provider.openReservations.get());

        ReservationPool forced = build(udp());
        ShapeLease other = forced.lease(PortShape.rtpPair());
        forced.closeForcibly();
        assertFalse(other.isActive());
        assertEquals("CLOSED: the lease of ports 30010-30011 is closed (its pool was closed forcibly); lease another "
                + "shape", expect(Reason.CLOSED, () -> other.bind(udpSocket(), null)).getMessage());
        other.close();
    }

    @Test
    void aPoolOfTwoProtocolsHoldsEachPortForBothAndBindsASocketOfEach() {
        ReservationPool pool = build(ReservationPool.builder(provider, Protocol.TCP, Protocol.UDP).blockSize(4)
                .keepIdleBlocks());
        assertEquals(List.of(Protocol.TCP, Protocol.UDP), pool.protocols());
        assertEquals(Protocol.TCP, pool.protocol());
        ShapeLease number = pool.lease(PortShape.single());
        assertEquals(2, provider.openReservations.get(), "a TCP and a UDP reservation of the same block");
        assertEquals(PortRange.of(30001, 1), number.ports());
        assertEquals(List.of(Protocol.TCP, Protocol.UDP), number.protocols());
        FakeSocket tcp = new FakeSocket(Protocol.TCP);
        FakeSocket udp = udpSocket();
        assertEquals(30001, number.bind(tcp, null).port());
        assertEquals(30001, number.bind(udp, null).port());
        expect(Reason.EXHAUSTED, () -> number.bind(new FakeSocket(Protocol.TCP), null));
        // A single lease of the pool holds its number for both protocols and binds one socket of either.
        PortLease forUdp = (PortLease) pool.bind(udpSocket(), null);
        assertEquals(30002, forUdp.port());
        PortLease forTcp = (PortLease) pool.bind(new FakeSocket(Protocol.TCP), null);
        assertEquals(30003, forTcp.port());
        assertEquals("ReservationPool[TCP and UDP, blocks of 4 from fake]", pool.toString());
        tcp.open = false;
        udp.open = false;
        number.close();
        assertEquals(2, pool.statistics().leased());
        pool.closeForcibly();
        assertEquals(0, provider.openReservations.get());
    }

    @Test
    void whenTheSecondProtocolsPortsAreTakenThePoolTriesAnotherBlockAndReleasesTheOnesPassedOver() {
        provider.udpPortsTaken.add(30003); // in the first block 30001-30004
        ReservationPool pool = build(ReservationPool.builder(provider, Protocol.TCP, Protocol.UDP).blockSize(4)
                .keepIdleBlocks());
        assertEquals(PortRange.of(30005, 1), pool.lease(PortShape.single()).ports());
        assertEquals(List.of(PortRange.of(30005, 4)), pool.blockRanges());
        assertEquals(2, provider.openReservations.get(), "the UDP block 30001-30004 was released");
        ReservationPool tcpFirst = build(ReservationPool.builder(provider, Protocol.TCP, Protocol.UDP).blockSize(4)
                .maxBlocks(1));
        for (int p = 30009; p < 30009 + 4 * BlockReservations.ATTEMPTS; p += 4) {
            provider.udpPortsTaken.add(p);
        }
        PortReservationException e = expect(Reason.IN_USE, tcpFirst::lease);
        assertTrue(e.getMessage().startsWith("IN_USE: no free port in ReservationPool[TCP and UDP, blocks of 4 from "
                + "fake] (0 of 0 ports leased in 0 of at most 1 blocks) and growing it by a block failed: IN_USE: no "
                + "block of 4 ports for both TCP and UDP in ReservationPool[TCP and UDP, blocks of 4 from fake]: the "
                + "ports of the 8 TCP blocks fake chose were taken for UDP (last: IN_USE: fake: UDP port 30037 of "
                + "block 30037-30040 is taken); find the owner with 'ss -tulpn', or use fixedRanges(...) free for "
                + "both"), e.getMessage());
        assertEquals(2, provider.openReservations.get(), "nothing of the failed growth stays reserved");
    }

    @Test
    void aFixedRangeTakenForTheSecondProtocolIsSkippedAsAWhole() {
        provider.udpPortsTaken.add(31001);
        ReservationPool pool = build(ReservationPool.builder(provider, Protocol.TCP, Protocol.UDP)
                .fixedRanges(PortRange.parse("31000-31003"), PortRange.parse("31010-31013")).keepIdleBlocks());
        assertEquals(31010, pool.lease().port());
        assertEquals(List.of(PortRange.parse("31010-31013")), pool.blockRanges());
        assertEquals(2, provider.openReservations.get());
    }

    @Test
    void aPoolOfTheSameProtocolTwiceIsRefused() {
        assertEquals("INVALID_ARGUMENT: second protocol UDP is invalid: the pool's first protocol is UDP already; "
                + "pass the other protocol, or build the pool with builder(provider, Protocol.UDP) for UDP alone",
                expect(Reason.INVALID_ARGUMENT, () -> ReservationPool.builder(provider, Protocol.UDP, Protocol.UDP))
                        .getMessage());
        expect(Reason.INVALID_ARGUMENT, () -> ReservationPool.builder(provider, Protocol.UDP, null));
    }

    @Test
    void aSingleShapeOfAOneProtocolPoolRebindsItsPortUntilClosed() {
        ReservationPool pool = build(udp());
        ShapeLease port = pool.lease(PortShape.single());
        assertNotEquals(0, port.ports().start());
        for (int i = 0; i < 3; i++) {
            FakeSocket s = udpSocket();
            PortBinding b = port.bind(s, null);
            assertEquals(port.ports().start(), b.port());
            s.open = false;
            b.close();
        }
        assertEquals(1, pool.statistics().leased());
        port.close();
        assertEquals(0, pool.statistics().leased());
    }
}
