// arma_gmm.cpp
//   The Armadillo side of the gmm benchmark: EM with gmm_full / gmm_diag on
//   data already in memory, from given initial parameters, no k-means.
//
// usage: arma_gmm DATA INIT full|diag K ITERS REPS
//   DATA  int64 n, int64 d, then n*d float64 values, row by row (which is
//         Armadillo's column-major d x n layout: one column per point)
//   INIT  float64 weights[k], means[k][d], then covariances: full k*d*d
//         (row-major, symmetric), diag k*d
// For each of REPS repetitions it runs learn() with em_iter = 1 and with
// em_iter = ITERS + 1 and prints one line per run:
//   run <rep> <em_iter asked> <iterations really run> <seconds> <avg_log_p>
// The iterations really run are counted from learn()'s verbose progress
// lines, since Armadillo stops early once the log-likelihood stops changing.
#include <armadillo>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

using namespace arma;

// read a whole binary file of doubles after an optional int64 header
static bool
read_data(const char *path, mat &X)
{
	FILE	   *f = std::fopen(path, "rb");
	long long	hdr[2];

	if (!f || std::fread(hdr, sizeof(hdr), 1, f) != 1)
		return false;
	X.set_size(hdr[1], hdr[0]);
	size_t		n = (size_t) hdr[0] * hdr[1];
	bool		ok = std::fread(X.memptr(), sizeof(double), n, f) == n;

	std::fclose(f);
	return ok;
}

// read count doubles
static bool
read_doubles(FILE *f, double *out, size_t count)
{
	return std::fread(out, sizeof(double), count, f) == count;
}

// count "EM: iteration" lines in learn()'s verbose output
static int
count_iterations(const std::string &log)
{
	std::istringstream in(log);
	std::string line;
	int			n = 0;

	while (std::getline(in, line))
		if (line.find("EM: iteration:") != std::string::npos)
			n++;
	return n;
}

template <typename Model>
static void
run(const mat &X, Model &proto, int iters, int reps, double var_floor)
{
	for (int rep = 0; rep < reps; rep++)
	{
		int			asks[2] = {1, iters + 1};

		for (int a = 0; a < 2; a++)
		{
			Model		g = proto;
			std::ostringstream log;
			std::streambuf *old = std::cout.rdbuf(log.rdbuf());
			auto		t0 = std::chrono::steady_clock::now();
			bool		ok = g.learn(X, g.n_gaus(), eucl_dist, keep_existing,
									 0, asks[a], var_floor, true);
			auto		t1 = std::chrono::steady_clock::now();

			std::cout.rdbuf(old);
			if (!ok)
			{
				std::fprintf(stderr, "arma_gmm: learn() failed\n");
				std::exit(1);
			}
			std::printf("run %d %d %d %.6f %.12g\n", rep, asks[a],
						count_iterations(log.str()),
						std::chrono::duration<double>(t1 - t0).count(),
						g.avg_log_p(X));
			std::fflush(stdout);
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc != 7)
	{
		std::fprintf(stderr, "usage: arma_gmm DATA INIT full|diag K ITERS REPS\n");
		return 2;
	}
	mat			X;

	if (!read_data(argv[1], X))
	{
		std::fprintf(stderr, "arma_gmm: cannot read %s\n", argv[1]);
		return 1;
	}
	std::string type = argv[3];
	uword		k = std::atoi(argv[4]),
				d = X.n_rows;
	int			iters = std::atoi(argv[5]),
				reps = std::atoi(argv[6]);
	FILE	   *f = std::fopen(argv[2], "rb");
	rowvec		hefts(k);
	mat			means(d, k);

	if (!f || !read_doubles(f, hefts.memptr(), k) ||
		!read_doubles(f, means.memptr(), k * d))
	{
		std::fprintf(stderr, "arma_gmm: cannot read %s\n", argv[2]);
		return 1;
	}
	// sklearn's reg_covar is added to the diagonal; Armadillo's variance
	// floor only bounds it from below: use a floor that never binds
	double		var_floor = 1e-10;

	if (type == "full")
	{
		cube		fcovs(d, d, k);

		if (!read_doubles(f, fcovs.memptr(), k * d * d))
			return 1;
		gmm_full	g;

		g.set_params(means, fcovs, hefts);
		run(X, g, iters, reps, var_floor);
	}
	else
	{
		mat			dcovs(d, k);

		if (!read_doubles(f, dcovs.memptr(), k * d))
			return 1;
		gmm_diag	g;

		g.set_params(means, dcovs, hefts);
		run(X, g, iters, reps, var_floor);
	}
	std::fclose(f);
	return 0;
}
