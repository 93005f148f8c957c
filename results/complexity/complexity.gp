# Written by `byzlab report complexity`: the plots of complexity.csv, log-log.
# Re-plot: cd into this directory and run `gnuplot complexity.gp`
# (gnuplot -e 'outdir="DIR"' complexity.gp writes the images into DIR).
if (!exists("outdir")) outdir = "."
set datafile separator ","
set logscale xy
set grid
set key left top box opaque
set xlabel "n (replicas)"
# the value of column 7 on rows of one series, else NaN
sel(p, s, m, t, k) = (strcol(1) eq p && strcol(2) eq s && strcol(4) eq m && strcol(5) eq t && strcol(6) eq k) ? column(7) : NaN
set xrange [3.2:160]

set terminal svg size 900,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/messages.svg"
set title "messages per decision"
set ylabel "messages per decision"
plot 'complexity.csv' using 3:(sel("pbft","fault-free","messages","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft fault-free (measured)", \
     'complexity.csv' using 3:(sel("pbft","fault-free","messages","2n(n-1)","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft 2n(n-1)", \
     'complexity.csv' using 3:(sel("pbft","faulty-leader","messages","all","measured")) with points lc rgb "#1f77b4" pt 6 ps 1.3 title "pbft faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","messages","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff fault-free (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","messages","2(n-1)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff 2(n-1)", \
     'complexity.csv' using 3:(sel("hotstuff","faulty-leader","messages","all","measured")) with points lc rgb "#d62728" pt 6 ps 1.3 title "hotstuff faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","messages","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint fault-free (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","messages","(n-1)(2n+1)","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint (n-1)(2n+1)", \
     'complexity.csv' using 3:(sel("tendermint","faulty-leader","messages","all","measured")) with points lc rgb "#2ca02c" pt 6 ps 1.3 title "tendermint faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","messages","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft fault-free (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","messages","4(n-1)","formula")) with lines lc rgb "#9467bd" lw 1.5 dt 2 title "raft 4(n-1)", \
     'complexity.csv' using 3:(sel("raft","faulty-leader","messages","all","measured")) with points lc rgb "#9467bd" pt 6 ps 1.3 title "raft faulty-leader (measured)"
unset output

set terminal pngcairo size 900,520 enhanced font "DejaVu Sans,10"
set output outdir."/messages.png"
set title "messages per decision"
set ylabel "messages per decision"
plot 'complexity.csv' using 3:(sel("pbft","fault-free","messages","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft fault-free (measured)", \
     'complexity.csv' using 3:(sel("pbft","fault-free","messages","2n(n-1)","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft 2n(n-1)", \
     'complexity.csv' using 3:(sel("pbft","faulty-leader","messages","all","measured")) with points lc rgb "#1f77b4" pt 6 ps 1.3 title "pbft faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","messages","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff fault-free (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","messages","2(n-1)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff 2(n-1)", \
     'complexity.csv' using 3:(sel("hotstuff","faulty-leader","messages","all","measured")) with points lc rgb "#d62728" pt 6 ps 1.3 title "hotstuff faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","messages","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint fault-free (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","messages","(n-1)(2n+1)","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint (n-1)(2n+1)", \
     'complexity.csv' using 3:(sel("tendermint","faulty-leader","messages","all","measured")) with points lc rgb "#2ca02c" pt 6 ps 1.3 title "tendermint faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","messages","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft fault-free (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","messages","4(n-1)","formula")) with lines lc rgb "#9467bd" lw 1.5 dt 2 title "raft 4(n-1)", \
     'complexity.csv' using 3:(sel("raft","faulty-leader","messages","all","measured")) with points lc rgb "#9467bd" pt 6 ps 1.3 title "raft faulty-leader (measured)"
unset output

set terminal svg size 900,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/bytes.svg"
set title "bytes per decision"
set ylabel "bytes per decision"
plot 'complexity.csv' using 3:(sel("pbft","fault-free","bytes","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft fault-free (measured)", \
     'complexity.csv' using 3:(sel("pbft","faulty-leader","bytes","all","measured")) with points lc rgb "#1f77b4" pt 6 ps 1.3 title "pbft faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","bytes","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff fault-free (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","faulty-leader","bytes","all","measured")) with points lc rgb "#d62728" pt 6 ps 1.3 title "hotstuff faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","bytes","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint fault-free (measured)", \
     'complexity.csv' using 3:(sel("tendermint","faulty-leader","bytes","all","measured")) with points lc rgb "#2ca02c" pt 6 ps 1.3 title "tendermint faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","bytes","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft fault-free (measured)", \
     'complexity.csv' using 3:(sel("raft","faulty-leader","bytes","all","measured")) with points lc rgb "#9467bd" pt 6 ps 1.3 title "raft faulty-leader (measured)"
unset output

set terminal pngcairo size 900,520 enhanced font "DejaVu Sans,10"
set output outdir."/bytes.png"
set title "bytes per decision"
set ylabel "bytes per decision"
plot 'complexity.csv' using 3:(sel("pbft","fault-free","bytes","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft fault-free (measured)", \
     'complexity.csv' using 3:(sel("pbft","faulty-leader","bytes","all","measured")) with points lc rgb "#1f77b4" pt 6 ps 1.3 title "pbft faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","bytes","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff fault-free (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","faulty-leader","bytes","all","measured")) with points lc rgb "#d62728" pt 6 ps 1.3 title "hotstuff faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","bytes","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint fault-free (measured)", \
     'complexity.csv' using 3:(sel("tendermint","faulty-leader","bytes","all","measured")) with points lc rgb "#2ca02c" pt 6 ps 1.3 title "tendermint faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","bytes","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft fault-free (measured)", \
     'complexity.csv' using 3:(sel("raft","faulty-leader","bytes","all","measured")) with points lc rgb "#9467bd" pt 6 ps 1.3 title "raft faulty-leader (measured)"
unset output

set terminal svg size 900,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/signatures.svg"
set title "signatures per decision"
set ylabel "signatures per decision"
plot 'complexity.csv' using 3:(sel("pbft","fault-free","signatures","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft fault-free (measured)", \
     'complexity.csv' using 3:(sel("pbft","fault-free","signatures","3n+1","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft 3n+1", \
     'complexity.csv' using 3:(sel("pbft","faulty-leader","signatures","all","measured")) with points lc rgb "#1f77b4" pt 6 ps 1.3 title "pbft faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","signatures","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff fault-free (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","signatures","2n+2","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff 2n+2", \
     'complexity.csv' using 3:(sel("hotstuff","faulty-leader","signatures","all","measured")) with points lc rgb "#d62728" pt 6 ps 1.3 title "hotstuff faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","signatures","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint fault-free (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","signatures","3n+2","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint 3n+2", \
     'complexity.csv' using 3:(sel("tendermint","faulty-leader","signatures","all","measured")) with points lc rgb "#2ca02c" pt 6 ps 1.3 title "tendermint faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","signatures","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft fault-free (measured)", \
     'complexity.csv' using 3:(sel("raft","faulty-leader","signatures","all","measured")) with points lc rgb "#9467bd" pt 6 ps 1.3 title "raft faulty-leader (measured)"
unset output

set terminal pngcairo size 900,520 enhanced font "DejaVu Sans,10"
set output outdir."/signatures.png"
set title "signatures per decision"
set ylabel "signatures per decision"
plot 'complexity.csv' using 3:(sel("pbft","fault-free","signatures","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft fault-free (measured)", \
     'complexity.csv' using 3:(sel("pbft","fault-free","signatures","3n+1","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft 3n+1", \
     'complexity.csv' using 3:(sel("pbft","faulty-leader","signatures","all","measured")) with points lc rgb "#1f77b4" pt 6 ps 1.3 title "pbft faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","signatures","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff fault-free (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","signatures","2n+2","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff 2n+2", \
     'complexity.csv' using 3:(sel("hotstuff","faulty-leader","signatures","all","measured")) with points lc rgb "#d62728" pt 6 ps 1.3 title "hotstuff faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","signatures","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint fault-free (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","signatures","3n+2","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint 3n+2", \
     'complexity.csv' using 3:(sel("tendermint","faulty-leader","signatures","all","measured")) with points lc rgb "#2ca02c" pt 6 ps 1.3 title "tendermint faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","signatures","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft fault-free (measured)", \
     'complexity.csv' using 3:(sel("raft","faulty-leader","signatures","all","measured")) with points lc rgb "#9467bd" pt 6 ps 1.3 title "raft faulty-leader (measured)"
unset output

set terminal svg size 900,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/verifications.svg"
set title "verifications per decision"
set ylabel "verifications per decision"
plot 'complexity.csv' using 3:(sel("pbft","fault-free","verifications","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft fault-free (measured)", \
     'complexity.csv' using 3:(sel("pbft","fault-free","verifications","O(n^2)","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft O(n^2) (c fitted)", \
     'complexity.csv' using 3:(sel("pbft","faulty-leader","verifications","all","measured")) with points lc rgb "#1f77b4" pt 6 ps 1.3 title "pbft faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","verifications","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff fault-free (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","verifications","O(n)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff O(n) (c fitted)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","verifications","O(n^2)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 3 title "hotstuff O(n^2) (c fitted)", \
     'complexity.csv' using 3:(sel("hotstuff","faulty-leader","verifications","all","measured")) with points lc rgb "#d62728" pt 6 ps 1.3 title "hotstuff faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","verifications","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint fault-free (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","verifications","2n(n+2)","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint 2n(n+2)", \
     'complexity.csv' using 3:(sel("tendermint","faulty-leader","verifications","all","measured")) with points lc rgb "#2ca02c" pt 6 ps 1.3 title "tendermint faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","verifications","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft fault-free (measured)", \
     'complexity.csv' using 3:(sel("raft","faulty-leader","verifications","all","measured")) with points lc rgb "#9467bd" pt 6 ps 1.3 title "raft faulty-leader (measured)"
unset output

set terminal pngcairo size 900,520 enhanced font "DejaVu Sans,10"
set output outdir."/verifications.png"
set title "verifications per decision"
set ylabel "verifications per decision"
plot 'complexity.csv' using 3:(sel("pbft","fault-free","verifications","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft fault-free (measured)", \
     'complexity.csv' using 3:(sel("pbft","fault-free","verifications","O(n^2)","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft O(n^2) (c fitted)", \
     'complexity.csv' using 3:(sel("pbft","faulty-leader","verifications","all","measured")) with points lc rgb "#1f77b4" pt 6 ps 1.3 title "pbft faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","verifications","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff fault-free (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","verifications","O(n)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff O(n) (c fitted)", \
     'complexity.csv' using 3:(sel("hotstuff","fault-free","verifications","O(n^2)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 3 title "hotstuff O(n^2) (c fitted)", \
     'complexity.csv' using 3:(sel("hotstuff","faulty-leader","verifications","all","measured")) with points lc rgb "#d62728" pt 6 ps 1.3 title "hotstuff faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","verifications","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint fault-free (measured)", \
     'complexity.csv' using 3:(sel("tendermint","fault-free","verifications","2n(n+2)","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint 2n(n+2)", \
     'complexity.csv' using 3:(sel("tendermint","faulty-leader","verifications","all","measured")) with points lc rgb "#2ca02c" pt 6 ps 1.3 title "tendermint faulty-leader (measured)", \
     'complexity.csv' using 3:(sel("raft","fault-free","verifications","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft fault-free (measured)", \
     'complexity.csv' using 3:(sel("raft","faulty-leader","verifications","all","measured")) with points lc rgb "#9467bd" pt 6 ps 1.3 title "raft faulty-leader (measured)"
unset output

set terminal svg size 900,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/messages-view-change.svg"
set title "messages of one view change (faulty first leader)"
set ylabel "messages (once)"
plot 'complexity.csv' using 3:(sel("pbft","view-change","messages","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft view-change (measured)", \
     'complexity.csv' using 3:(sel("pbft","view-change","messages","(n+1)(n-1)","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft (n+1)(n-1)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","messages","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff view-change (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","messages","O(n)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff O(n) (c fitted)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","messages","(n+1)(n-1)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 3 title "hotstuff (n+1)(n-1)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","messages","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","messages","(n-1)(2n+1)","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint (n-1)(2n+1)", \
     'complexity.csv' using 3:(sel("raft","view-change","messages","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft view-change (measured)", \
     'complexity.csv' using 3:(sel("raft","view-change","messages","O(n)","formula")) with lines lc rgb "#9467bd" lw 1.5 dt 2 title "raft O(n) (c fitted)"
unset output

set terminal pngcairo size 900,520 enhanced font "DejaVu Sans,10"
set output outdir."/messages-view-change.png"
set title "messages of one view change (faulty first leader)"
set ylabel "messages (once)"
plot 'complexity.csv' using 3:(sel("pbft","view-change","messages","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft view-change (measured)", \
     'complexity.csv' using 3:(sel("pbft","view-change","messages","(n+1)(n-1)","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft (n+1)(n-1)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","messages","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff view-change (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","messages","O(n)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff O(n) (c fitted)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","messages","(n+1)(n-1)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 3 title "hotstuff (n+1)(n-1)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","messages","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","messages","(n-1)(2n+1)","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint (n-1)(2n+1)", \
     'complexity.csv' using 3:(sel("raft","view-change","messages","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft view-change (measured)", \
     'complexity.csv' using 3:(sel("raft","view-change","messages","O(n)","formula")) with lines lc rgb "#9467bd" lw 1.5 dt 2 title "raft O(n) (c fitted)"
unset output

set terminal svg size 900,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/bytes-view-change.svg"
set title "bytes of one view change (faulty first leader)"
set ylabel "bytes (once)"
plot 'complexity.csv' using 3:(sel("pbft","view-change","bytes","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft view-change (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","bytes","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","bytes","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint view-change (measured)", \
     'complexity.csv' using 3:(sel("raft","view-change","bytes","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft view-change (measured)"
unset output

set terminal pngcairo size 900,520 enhanced font "DejaVu Sans,10"
set output outdir."/bytes-view-change.png"
set title "bytes of one view change (faulty first leader)"
set ylabel "bytes (once)"
plot 'complexity.csv' using 3:(sel("pbft","view-change","bytes","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft view-change (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","bytes","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","bytes","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint view-change (measured)", \
     'complexity.csv' using 3:(sel("raft","view-change","bytes","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft view-change (measured)"
unset output

set terminal svg size 900,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/signatures-view-change.svg"
set title "signatures of one view change (faulty first leader)"
set ylabel "signatures (once)"
plot 'complexity.csv' using 3:(sel("pbft","view-change","signatures","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft view-change (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","signatures","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","signatures","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","signatures","2n+1","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint 2n+1", \
     'complexity.csv' using 3:(sel("raft","view-change","signatures","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft view-change (measured)"
unset output

set terminal pngcairo size 900,520 enhanced font "DejaVu Sans,10"
set output outdir."/signatures-view-change.png"
set title "signatures of one view change (faulty first leader)"
set ylabel "signatures (once)"
plot 'complexity.csv' using 3:(sel("pbft","view-change","signatures","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft view-change (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","signatures","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","signatures","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","signatures","2n+1","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint 2n+1", \
     'complexity.csv' using 3:(sel("raft","view-change","signatures","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft view-change (measured)"
unset output

set terminal svg size 900,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
set output outdir."/verifications-view-change.svg"
set title "verifications of one view change (faulty first leader)"
set ylabel "verifications (once)"
plot 'complexity.csv' using 3:(sel("pbft","view-change","verifications","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft view-change (measured)", \
     'complexity.csv' using 3:(sel("pbft","view-change","verifications","O(n^3)","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft O(n^3) (c fitted)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","verifications","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff view-change (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","verifications","O(n)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff O(n) (c fitted)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","verifications","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","verifications","O(n^2)","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint O(n^2) (c fitted)", \
     'complexity.csv' using 3:(sel("raft","view-change","verifications","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft view-change (measured)"
unset output

set terminal pngcairo size 900,520 enhanced font "DejaVu Sans,10"
set output outdir."/verifications-view-change.png"
set title "verifications of one view change (faulty first leader)"
set ylabel "verifications (once)"
plot 'complexity.csv' using 3:(sel("pbft","view-change","verifications","all","measured")) with points lc rgb "#1f77b4" pt 7 ps 1.3 title "pbft view-change (measured)", \
     'complexity.csv' using 3:(sel("pbft","view-change","verifications","O(n^3)","formula")) with lines lc rgb "#1f77b4" lw 1.5 dt 2 title "pbft O(n^3) (c fitted)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","verifications","all","measured")) with points lc rgb "#d62728" pt 7 ps 1.3 title "hotstuff view-change (measured)", \
     'complexity.csv' using 3:(sel("hotstuff","view-change","verifications","O(n)","formula")) with lines lc rgb "#d62728" lw 1.5 dt 2 title "hotstuff O(n) (c fitted)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","verifications","all","measured")) with points lc rgb "#2ca02c" pt 7 ps 1.3 title "tendermint view-change (measured)", \
     'complexity.csv' using 3:(sel("tendermint","view-change","verifications","O(n^2)","formula")) with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "tendermint O(n^2) (c fitted)", \
     'complexity.csv' using 3:(sel("raft","view-change","verifications","all","measured")) with points lc rgb "#9467bd" pt 7 ps 1.3 title "raft view-change (measured)"
unset output

