using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace ProcActors.Protocol;

/// <summary>
/// Akka.Remote's plain TCP transport (scheme <c>akka.tcp</c>) with fewer thread hand-offs than DotNetty's: one I/O
/// thread per actor system waits in <c>poll(2)</c> on every connection and hands each whole frame to Akka, and a write
/// goes to the socket on the writer's own thread. DotNetty takes a message through the socket engine's thread, a pool
/// worker and its event loop on the way in, and through its event loop on the way out, each a thread wake-up; here an
/// inbound message wakes the I/O thread and then the actor that reads it, and an outbound one wakes nobody. At rest
/// the I/O thread sleeps without a timeout.
/// <para>
/// Wire-compatible with DotNetty's transport: each frame is a 4-byte little-endian length and the payload (Akka's
/// <c>byte-order = "little-endian"</c>), so agents and clients with either transport talk to each other. It reads
/// the same settings (<c>akka.remote.dot-netty.tcp</c>: hostname, port, public-hostname, maximum-frame-size,
/// connection-timeout, backlog) and is chosen there with <see cref="Hocon"/>. Not for TLS: with
/// <c>enable-ssl</c> on, DotNetty's transport stays (see <see cref="RemoteTls"/>).
/// </para>
/// <para>
/// Bounds: a frame longer than maximum-frame-size closes its connection (as DotNetty's decoder does); a connection
/// whose peer does not read keeps at most <see cref="MaxPendingBytes"/> of unsent frames, after which
/// <see cref="AssociationHandle.Write"/> answers false and Akka's endpoint writer holds and retries the messages.
/// </para>
/// </summary>
public sealed class DirectTcpTransport : Akka.Remote.Transport.Transport
{
    /// <summary>Selects this transport for <c>akka.tcp</c> (the settings stay those of DotNetty's section).</summary>
    public static readonly string Hocon =
        $"akka.remote.dot-netty.tcp.transport-class = \"{typeof(DirectTcpTransport).FullName}, {typeof(DirectTcpTransport).Assembly.GetName().Name}\"";

    /// <summary>Unsent bytes a connection may hold before writes are refused (Akka then buffers and retries).</summary>
    public const int MaxPendingBytes = 4 << 20;

    private readonly ILoggingAdapter _log;
    private readonly string _hostname;
    private readonly string _publicHostname;
    private readonly int _port;
    private readonly int _backlog;
    private readonly TimeSpan _connectTimeout;
    private readonly TaskCompletionSource<IAssociationEventListener> _associationListener = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DirectTcpIoLoop? _loop;
    private Address? _localAddress;

    public DirectTcpTransport(ActorSystem system, Config config)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(config);
        System = system;
        Config = config;
        _log = Logging.GetLogger(system, typeof(DirectTcpTransport));
        if (config.GetBoolean("enable-ssl", false))
            throw new ConfigurationException($"{nameof(DirectTcpTransport)} has no TLS: with enable-ssl on, keep DotNetty's transport-class");
        var configured = config.GetString("hostname", "");
        _hostname = string.IsNullOrEmpty(configured) ? IPAddress.Any.ToString() : configured;
        var advertised = config.GetString("public-hostname", "");
        _publicHostname = string.IsNullOrEmpty(advertised) ? _hostname : advertised;
        _port = config.GetInt("port", 0);
        _backlog = Math.Max(1, config.GetInt("backlog", 4096));
        _connectTimeout = config.GetTimeSpan("connection-timeout", TimeSpan.FromSeconds(15), allowInfinite: false);
        var frame = config.GetByteSize("maximum-frame-size") ?? 128_000;
        if (frame < 32_000) throw new ConfigurationException("maximum-frame-size must be at least 32000 bytes");
        MaximumPayloadBytes = frame;
    }

    public override string SchemeIdentifier => "tcp";

    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var bindTo = new IPEndPoint(await ResolveAsync(_hostname).ConfigureAwait(false), _port);
        var listener = new Socket(bindTo.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(bindTo);
            listener.Listen(_backlog);
            listener.Blocking = false;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var bound = (IPEndPoint)listener.LocalEndPoint!;
        _localAddress = new Address(SchemeIdentifier, System.Name, _publicHostname, _port == 0 ? bound.Port : _port);
        _loop = new DirectTcpIoLoop(this, listener, _log);
        // Connections wait in the backlog until Akka registers its listener.
        _ = _associationListener.Task.ContinueWith(t => _loop.Accept(t.Result), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return (_localAddress, _associationListener);
    }

    public override bool IsResponsibleFor(Address remote) => true;

    public override async Task<AssociationHandle> Associate(Address remoteAddress)
    {
        ArgumentNullException.ThrowIfNull(remoteAddress);
        if (_loop is null || _localAddress is null) throw new InvalidOperationException("the transport is not listening");
        if (string.IsNullOrEmpty(remoteAddress.Host) || remoteAddress.Port is not { } port)
            throw new InvalidAssociationException($"{remoteAddress} has no host and port");
        IPAddress ip;
        try
        {
            ip = await ResolveAsync(remoteAddress.Host).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new InvalidAssociationException($"cannot resolve {remoteAddress.Host}: {ex.Message}", ex);
        }
        if (ip.Equals(IPAddress.Any)) ip = IPAddress.Loopback;
        else if (ip.Equals(IPAddress.IPv6Any)) ip = IPAddress.IPv6Loopback;
        // Connected synchronously on a pool thread with a poll for the timeout: a socket used with the async API would
        // stay registered with the runtime's epoll thread, which would then wake for every frame this transport reads.
        var socket = await Task.Run(() => Connect(new IPEndPoint(ip, port), remoteAddress)).ConfigureAwait(false);
        var handle = new DirectTcpHandle(_localAddress, remoteAddress, socket, _loop, (int)MaximumPayloadBytes);
        _loop.Register(handle);
        return handle;
    }

    private Socket Connect(IPEndPoint endpoint, Address remoteAddress)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false, NoDelay = true };
        try
        {
            try
            {
                socket.Connect(endpoint);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                var micros = (int)Math.Min(int.MaxValue, _connectTimeout.Ticks / 10);
                if (!socket.Poll(micros, SelectMode.SelectWrite))
                    throw new InvalidAssociationException($"no connection to {remoteAddress} within {_connectTimeout.TotalSeconds:0.#} s");
                var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != SocketError.Success) throw new InvalidAssociationException($"{new SocketException((int)error).Message} {remoteAddress}");
            }
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new InvalidAssociationException($"{ex.Message} {remoteAddress}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override Task<bool> Shutdown()
    {
        _loop?.Stop();
        return Task.FromResult(true);
    }

    internal Address InboundAddress(IPEndPoint peer) =>
        new(SchemeIdentifier, System.Name, peer.Address.IsIPv4MappedToIPv6 ? peer.Address.MapToIPv4().ToString() : peer.Address.ToString(), peer.Port);

    internal Address LocalAddress => _localAddress ?? throw new InvalidOperationException("the transport is not listening");

    private static async Task<IPAddress> ResolveAsync(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        var addresses = await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }
}

/// <summary>
/// One connection: frames written on the caller's thread straight to the non-blocking socket (what the socket cannot
/// take at once waits here, in order, for the I/O thread); frames read by the I/O thread and handed to Akka whole.
/// </summary>
internal sealed class DirectTcpHandle : AssociationHandle
{
    private readonly Socket _socket;
    private readonly DirectTcpIoLoop _loop;
    private readonly int _maxFrame;
    private readonly object _writeGate = new();
    private readonly Queue<byte[]> _pending = new();
    private int _pendingOffset;
    private int _pendingBytes;
    private int _closed;
    private int _disassociating;
    private volatile IHandleEventListener? _listener;
    private byte[] _in = new byte[16 * 1024];
    private int _inCount;

    public DirectTcpHandle(Address localAddress, Address remoteAddress, Socket socket, DirectTcpIoLoop loop, int maxFrame)
        : base(localAddress, remoteAddress)
    {
        _socket = socket;
        _loop = loop;
        _maxFrame = maxFrame;
        // Nothing is read before Akka registers its reader (DotNetty's auto-read off): bytes wait in the kernel.
        _ = ReadHandlerSource.Task.ContinueWith(t =>
        {
            _listener = t.Result;
            _loop.Readable(this);
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    public Socket Socket => _socket;

    public bool Reading => _listener is not null && Volatile.Read(ref _closed) == 0;

    public bool HasPending
    {
        get { lock (_writeGate) return _pendingBytes > 0; }
    }

    public override bool Write(ByteString payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var total = payload.Length + 4;
        // The frame is built in scratch memory; only what the socket cannot take at once is copied to keep.
        var rented = total > StackFrame ? ArrayPool<byte>.Shared.Rent(total) : null;
        var frame = rented is null ? stackalloc byte[StackFrame] : rented;
        frame = frame[..total];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.Span.CopyTo(frame[4..]);
        try
        {
            lock (_writeGate)
            {
                if (Volatile.Read(ref _closed) != 0 || Volatile.Read(ref _disassociating) != 0) return false;
                if (_pendingBytes > DirectTcpTransport.MaxPendingBytes) return false;
                var sent = 0;
                if (_pendingBytes == 0)
                {
                    sent = Send(frame);
                    if (sent < 0) return true; // the connection failed: the I/O thread reports it as disassociated
                    if (sent == total) return true;
                }
                var wasIdle = _pendingBytes == 0;
                _pending.Enqueue(frame[sent..].ToArray());
                _pendingBytes += total - sent;
                if (!wasIdle) return true;
            }
            _loop.Writable(this);
            return true;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Frames up to this size are built on the stack.</summary>
    private const int StackFrame = 1024;

    /// <summary>Bytes sent (possibly fewer than asked), or -1 when the connection broke.</summary>
    private int Send(ReadOnlySpan<byte> frame)
    {
        var sent = _socket.Send(frame, SocketFlags.None, out var error);
        if (error is SocketError.Success or SocketError.WouldBlock) return Math.Max(0, sent);
        _loop.Broken(this, error);
        return -1;
    }

    /// <summary>On the I/O thread when the socket can take more: sends what waits. True when nothing waits any more.</summary>
    public bool Flush()
    {
        lock (_writeGate)
        {
            while (_pending.TryPeek(out var frame))
            {
                var sent = Send(frame.AsSpan(_pendingOffset));
                if (sent < 0) return true;
                _pendingOffset += sent;
                _pendingBytes -= sent;
                if (_pendingOffset < frame.Length) return false;
                _pending.Dequeue();
                _pendingOffset = 0;
            }
            if (Volatile.Read(ref _disassociating) != 0) _loop.Close(this);
            return true;
        }
    }

    /// <summary>
    /// On the I/O thread when the socket has bytes: reads what is there and hands each whole frame to Akka. False when
    /// the connection ended (peer closed, reset, or a frame over the limit).
    /// </summary>
    public bool Read()
    {
        // A bounded number of reads per wake-up, so that one busy peer cannot keep the thread from the others.
        for (var turn = 0; turn < 16; turn++)
        {
            if (_inCount == _in.Length) Array.Resize(ref _in, _in.Length * 2);
            var read = _socket.Receive(_in.AsSpan(_inCount), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock) return true;
            if (error != SocketError.Success)
            {
                _loop.Broken(this, error);
                return false;
            }
            if (read == 0) return false;
            _inCount += read;
            if (!Frames()) return false;
        }
        return true;
    }

    private bool Frames()
    {
        var start = 0;
        while (_inCount - start >= 4)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(_in.AsSpan(start));
            if (length < 0 || length > _maxFrame)
            {
                _loop.Refused(this, $"a frame of {length.ToString(CultureInfo.InvariantCulture)} bytes (maximum-frame-size {_maxFrame.ToString(CultureInfo.InvariantCulture)})");
                return false;
            }
            // The frame is not all here yet (the buffer doubles when full, so it stays under twice the biggest frame).
            if (_inCount - start - 4 < length) break;
            // Empty frames are DotNetty's flush at shutdown: nothing to deliver.
            if (length > 0)
                _listener!.Notify(new InboundPayload(UnsafeByteOperations.UnsafeWrap(_in.AsSpan(start + 4, length).ToArray())));
            start += 4 + length;
        }
        if (start > 0)
        {
            _in.AsSpan(start, _inCount - start).CopyTo(_in);
            _inCount -= start;
        }
        return true;
    }

    /// <summary>Closes the socket once and tells Akka's reader that the connection ended.</summary>
    public void Closed()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        // Under the write lock: a writer that saw the handle open finishes its send before the socket goes.
        lock (_writeGate)
        {
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
                // already reset by the peer
            }
            _socket.Dispose();
        }
        _listener?.Notify(new Disassociated(DisassociateInfo.Unknown));
    }

    /// <summary>Akka is done with the connection: what waits is still sent, then it is closed.</summary>
    [Obsolete("Akka's abstract member; callers use Disassociate(reason, log).")]
    public override void Disassociate()
    {
        Interlocked.Exchange(ref _disassociating, 1);
        if (!HasPending) _loop.Close(this);
        else _loop.Writable(this);
    }
}

/// <summary>
/// The transport's one I/O thread: sleeps in <c>poll(2)</c> (<see cref="Socket.Select"/>) on the listening socket,
/// every connection Akka reads, every connection with bytes waiting to be sent, and a wake-up socket that other
/// threads poke when that set changes.
/// </summary>
internal sealed class DirectTcpIoLoop
{
    private readonly DirectTcpTransport _transport;
    private readonly Socket _listener;
    private readonly ILoggingAdapter _log;
    private readonly Socket _wake;
    private readonly Socket _poke;
    private readonly EndPoint _wakeAt;
    private readonly ConcurrentQueue<(DirectTcpHandle Handle, Change Change)> _changes = new();
    private readonly Dictionary<Socket, DirectTcpHandle> _handles = [];
    private readonly HashSet<DirectTcpHandle> _writing = [];
    private readonly Thread _thread;
    private static readonly byte[] PokeByte = [1];
    private volatile IAssociationEventListener? _associations;
    private volatile bool _stopping;
    private int _poked;

    private enum Change { Register, Read, Write, Close }

    public DirectTcpIoLoop(DirectTcpTransport transport, Socket listener, ILoggingAdapter log)
    {
        _transport = transport;
        _listener = listener;
        _log = log;
        var loopback = listener.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        _wake = new Socket(loopback.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        _wake.Bind(new IPEndPoint(loopback, 0));
        _wakeAt = _wake.LocalEndPoint!;
        _poke = new Socket(loopback.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        _thread = new Thread(Run) { IsBackground = true, Name = "akka-remote-io" };
        _thread.Start();
    }

    public void Accept(IAssociationEventListener associations)
    {
        _associations = associations;
        Poke();
    }

    public void Register(DirectTcpHandle handle) => Post(handle, Change.Register);

    public void Readable(DirectTcpHandle handle) => Post(handle, Change.Read);

    public void Writable(DirectTcpHandle handle) => Post(handle, Change.Write);

    /// <summary>Closes the connection on the I/O thread and tells Akka's reader that it ended.</summary>
    public void Close(DirectTcpHandle handle) => Post(handle, Change.Close);

    public void Broken(DirectTcpHandle handle, SocketError error)
    {
        if (error is not (SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted or SocketError.OperationAborted))
            _log.Warning("Connection to {0} failed: {1}", handle.RemoteAddress, error);
        Close(handle);
    }

    public void Refused(DirectTcpHandle handle, string why)
    {
        _log.Error("Closing the connection with {0}: {1}", handle.RemoteAddress, why);
        Close(handle);
    }

    public void Stop()
    {
        _stopping = true;
        Poke();
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Post(DirectTcpHandle handle, Change change)
    {
        _changes.Enqueue((handle, change));
        Poke();
    }

    private void Poke()
    {
        if (Interlocked.Exchange(ref _poked, 1) == 0)
        {
            try
            {
                _poke.SendTo(PokeByte, _wakeAt);
            }
            catch (ObjectDisposedException)
            {
                // stopped meanwhile
            }
        }
    }

    private void Run()
    {
        var read = new List<Socket>();
        var write = new List<Socket>();
        var buffer = new byte[64];
        try
        {
            while (!_stopping)
            {
                Apply();
                if (_stopping) break;
                read.Clear();
                write.Clear();
                read.Add(_wake);
                if (_associations is not null) read.Add(_listener);
                foreach (var (socket, handle) in _handles)
                {
                    if (handle.Reading) read.Add(socket);
                }
                foreach (var handle in _writing) write.Add(handle.Socket);
                Socket.Select(read, write.Count > 0 ? write : null, null, -1);
                foreach (var socket in read)
                {
                    if (socket == _wake)
                    {
                        Volatile.Write(ref _poked, 0);
                        while (_wake.Available > 0) _wake.Receive(buffer);
                    }
                    else if (socket == _listener) AcceptAll();
                    else if (_handles.TryGetValue(socket, out var handle) && !Guarded(handle, static h => h.Read())) Remove(handle);
                }
                foreach (var socket in write)
                {
                    if (_handles.TryGetValue(socket, out var handle) && Guarded(handle, static h => h.Flush())) _writing.Remove(handle);
                }
            }
        }
#pragma warning disable CA1031 // the transport's thread must report, not take the process down
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Error(ex, "The remoting I/O thread failed; closing every connection");
        }
        foreach (var handle in _handles.Values.ToList()) Remove(handle);
        _listener.Dispose();
        _wake.Dispose();
        _poke.Dispose();
    }

    /// <summary>
    /// A read or flush that fails in a way the socket calls do not report (a bug here or in Akka's handler) costs its
    /// connection, logged, never the thread that serves the others; it is removed here, and true tells the caller that
    /// nothing more is to be done with it.
    /// </summary>
    private bool Guarded(DirectTcpHandle handle, Func<DirectTcpHandle, bool> work)
    {
        try
        {
            return work(handle);
        }
#pragma warning disable CA1031 // one connection's failure must not end the others'
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Error(ex, "Closing the connection with {0} after an unexpected failure", handle.RemoteAddress);
            Remove(handle);
            return true;
        }
    }

    private void Apply()
    {
        while (_changes.TryDequeue(out var change))
        {
            var (handle, kind) = change;
            switch (kind)
            {
                case Change.Register:
                    _handles[handle.Socket] = handle;
                    break;
                case Change.Write:
                    if (_handles.ContainsKey(handle.Socket) && handle.HasPending) _writing.Add(handle);
                    else if (_handles.ContainsKey(handle.Socket)) handle.Flush();
                    break;
                case Change.Close:
                    Remove(handle);
                    break;
                case Change.Read:
                    break; // the next poll includes it
            }
        }
    }

    private void Remove(DirectTcpHandle handle)
    {
        _handles.Remove(handle.Socket);
        _writing.Remove(handle);
        handle.Closed();
    }

    private void AcceptAll()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = _listener.Accept();
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
            {
                return;
            }
            catch (SocketException ex)
            {
                _log.Warning("Accepting a connection failed: {0}", ex.Message);
                return;
            }
            DirectTcpHandle handle;
            try
            {
                socket.Blocking = false;
                socket.NoDelay = true;
                handle = new DirectTcpHandle(_transport.LocalAddress, _transport.InboundAddress((IPEndPoint)socket.RemoteEndPoint!), socket, this, (int)_transport.MaximumPayloadBytes);
            }
            catch (SocketException ex)
            {
                // Gone between accept and now (reset): nothing to associate.
                _log.Debug("An accepted connection failed at once: {0}", ex.Message);
                socket.Dispose();
                continue;
            }
            _handles[socket] = handle;
            _associations!.Notify(new InboundAssociation(handle));
        }
    }
}
