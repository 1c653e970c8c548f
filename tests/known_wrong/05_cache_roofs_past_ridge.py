"""plot_cache_roofline draws every memory roof across the whole plot instead of stopping it at its
ridge: the lines above the compute roof claim rates no kernel can reach."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"plot_cache_roofline": '''
def plot_cache_roofline(peak_gflops, level_roofs, kernels):
    ridges = [peak_gflops / bw for bw in level_roofs.values()]
    ais = [ai for ai, _ in kernels.values()]
    x_lo, x_hi = min(ridges + ais) / 4, max(ridges + ais) * 4
    fig, ax = plt.subplots()
    for level, bw in level_roofs.items():
        ax.plot([x_lo, x_hi], [bw * x_lo, bw * x_hi], label=level)
    ax.plot([min(ridges), x_hi], [peak_gflops, peak_gflops], label="compute")
    for name, (ai, rate) in kernels.items():
        ax.plot([ai], [rate], "o")
        ax.annotate(name, (ai, rate))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="FLOP/byte", ylabel="GFLOP/s")
    ax.legend()
    return fig
'''}
LOSES = ["test_plot_cache_roofline_roofs"]
