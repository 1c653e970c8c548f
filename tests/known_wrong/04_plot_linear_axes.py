"""plot_roofline draws the right roof and points but leaves both axes linear."""
NOTEBOOK = "04_roofline"
ANSWERS = {"plot_roofline": '''
def plot_roofline(peak_gflops, bandwidth_gbs, kernels):
    ridge = peak_gflops / bandwidth_gbs
    ais = [ai for ai, _ in kernels.values()]
    ai_lo = min([ridge, *ais]) / 4
    ai_hi = max([ridge, *ais]) * 4
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.plot([ai_lo, ridge, ai_hi], [bandwidth_gbs * ai_lo, peak_gflops, peak_gflops], "k-")
    ax.plot([ridge], [peak_gflops], "kD")
    for name, (ai, rate) in kernels.items():
        ax.plot([ai], [rate], "o")
        ax.annotate(name, (ai, rate))
    ax.set(xlabel="arithmetic intensity (FLOP/byte)", ylabel="performance (GFLOP/s)")
    return fig
'''}
LOSES = ["test_plot_roofline_axes"]
